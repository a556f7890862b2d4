import { Module } from '@nestjs/common';
import { HandoffStore } from '../handoff/handoff.store';
import { RedisConnections } from '../redis';
import { SandboxChatService } from './sandbox-chat.service';
import { SandboxEventStream } from './sandbox-event-stream.service';
import { SandboxOutboxModule } from './sandbox-outbox.module';
import { SandboxController } from './sandbox.controller';

/**
 * The local chat page (GET /sandbox). AppModule adds it only where it should be served: see servesSandboxPage.
 * Replies reach the outbox through SandboxReplySender (the REPLY_SENDER of sandbox mode), possibly in another process.
 */
@Module({
  imports: [SandboxOutboxModule],
  controllers: [SandboxController],
  providers: [
    SandboxChatService,
    SandboxEventStream,
    // The banner's look at a conversation's handoff, on a connection of the page's own (its role may run no worker).
    {
      provide: HandoffStore,
      inject: [RedisConnections],
      useFactory: (redis: RedisConnections) => new HandoffStore(redis.connect({ role: 'commands' }), redis.prefix),
    },
  ],
})
export class SandboxModule {}
