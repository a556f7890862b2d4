import { DynamicModule, Module, Type } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { RespondersModule } from '../responders/responders.module';
import { BreakerBroadcast } from './replies/breaker-broadcast';
import { ConversationStateModule } from '../conversation-state/conversation-state.module';
import { EventsProcessor } from './events.processor';
import { QueueWorkers } from './queue-workers.service';
import { RedisRefusedSweeper } from './redis-refused.sweeper';
import { QueueModule } from './queue.module';
import { RepliesProcessor } from './replies.processor';
import { SentReplies } from './sent-replies';
import { WorkerRedis } from './worker-redis.service';

/** The worker side: loaded for APP_ROLE=worker and all. */
@Module({})
export class ProcessingModule {
  /**
   * `replySender` is the module that exports REPLY_SENDER (src/cometchat/reply-sender): CometChatModule for a live
   * bot, the sandbox's for sandbox mode. AppModule chooses, so the queue knows only the interface.
   */
  static register({ replySender }: { replySender: Type }): DynamicModule {
    return {
      module: ProcessingModule,
      imports: [QueueModule, RespondersModule, ConversationStateModule, replySender, MetricsModule],
      providers: [WorkerRedis, EventsProcessor, RepliesProcessor, BreakerBroadcast, SentReplies, QueueWorkers, RedisRefusedSweeper],
    };
  }
}
