import { Module } from '@nestjs/common';
import { REPLY_SENDER } from '../cometchat/reply-sender';
import { SandboxOutboxModule } from './sandbox-outbox.module';
import { SandboxReplySender } from './sandbox-reply-sender.service';

/** Sandbox mode's REPLY_SENDER: replies go to the outbox instead of CometChat (AppModule picks it by COMETCHAT_MODE). */
@Module({
  imports: [SandboxOutboxModule],
  providers: [{ provide: REPLY_SENDER, useClass: SandboxReplySender }],
  exports: [REPLY_SENDER],
})
export class SandboxReplySenderModule {}
