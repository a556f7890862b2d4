import { DynamicModule, Module, Type } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { RespondersModule } from '../responders/responders.module';
import { BreakerBroadcast } from './replies/breaker-broadcast';
import { ConversationStateModule } from '../conversation-state/conversation-state.module';
import { WorkerRedis } from '../redis/worker-redis.service';
import { EventsProcessor } from './events/events.processor';
import { MessageChanges } from './events/message-changes';
import { workerAnswerRecords } from './answers/answer-records';
import { QueueWorkers } from './workers/queue-workers.service';
import { RedisRefusedSweeper } from './workers/redis-refused.sweeper';
import { QueueModule } from './queue.module';
import { RepliesProcessor } from './replies/replies.processor';
import { LiveReplies } from './replies/live-replies';
import { SentReplies } from './replies/sent-replies';
import { EventTurns, ReplyTurns, RunningTurns } from './turns';
import { handoffProviders } from '../handoff';

/** The worker side: loaded for APP_ROLE=worker and all. */
@Module({})
export class ProcessingModule {
  /**
   * `replySender` is the module that exports REPLY_SENDER (src/cometchat/reply-sender): CometChatModule for a live
   * bot, the sandbox's for sandbox mode. AppModule chooses, so the queue knows only the interface. `handoffTool`: the
   * LLM gets the `handoff` tool (HANDOFF_NOTIFY is set).
   */
  static register({ replySender, handoffTool = false }: { replySender: Type; handoffTool?: boolean }): DynamicModule {
    return {
      module: ProcessingModule,
      imports: [QueueModule, RespondersModule, ConversationStateModule, replySender, MetricsModule],
      providers: [
        WorkerRedis,
        EventTurns,
        ReplyTurns,
        RunningTurns,
        EventsProcessor,
        MessageChanges,
        workerAnswerRecords,
        RepliesProcessor,
        BreakerBroadcast,
        SentReplies,
        LiveReplies,
        QueueWorkers,
        RedisRefusedSweeper,
        ...handoffProviders({ tool: handoffTool }),
      ],
    };
  }
}
