import { Module } from '@nestjs/common';
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
  providers: [SandboxChatService, SandboxEventStream],
})
export class SandboxModule {}
