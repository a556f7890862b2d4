import { Module } from '@nestjs/common';
import { ConversationStateStore } from './conversation-state.store';
import { WorkerRedis } from '../redis/worker-redis.service';

/**
 * Responders' per-conversation state in Redis, on the patient worker connection. The workers use it, and so does
 * the AG-UI endpoint (src/agents), which runs responders in the request: one module, one connection for both.
 */
@Module({
  providers: [WorkerRedis, ConversationStateStore],
  exports: [WorkerRedis, ConversationStateStore],
})
export class ConversationStateModule {}
