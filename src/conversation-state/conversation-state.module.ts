import { Module } from '@nestjs/common';
import { ConversationStateStore } from './conversation-state.store';

/**
 * Responders' per-conversation state in Redis. The workers use it, and so does the AG-UI endpoint (src/agents), which
 * runs responders in the request, in the api role too: the store has a connection of its own (RedisConnections), so
 * neither opens the other's.
 */
@Module({
  providers: [ConversationStateStore],
  exports: [ConversationStateStore],
})
export class ConversationStateModule {}
