import { Module } from '@nestjs/common';
import { CometChatModule } from '../cometchat/cometchat.module';
import { MetricsModule } from '../metrics/metrics.module';
import { RespondersModule } from '../responders/responders.module';
import { EventsProcessor } from './events.processor';
import { QueueWorkers } from './queue-workers.service';
import { RedisRefusedSweeper } from './redis-refused.sweeper';
import { QueueModule } from './queue.module';
import { RepliesProcessor } from './replies.processor';
import { ConversationStateStore } from './conversation-state.store';
import { SentReplies } from './sent-replies';
import { WorkerRedis } from './worker-redis.service';

/** The worker side: loaded for APP_ROLE=worker and all. */
@Module({
  imports: [QueueModule, RespondersModule, CometChatModule, MetricsModule],
  providers: [WorkerRedis, ConversationStateStore, EventsProcessor, RepliesProcessor, SentReplies, QueueWorkers, RedisRefusedSweeper],
})
export class ProcessingModule {}
