import { Module } from '@nestjs/common';
import { SandboxOutbox } from './sandbox-outbox.service';

/** Shared by the sandbox reply sender (writes replies) and the chat page (reads and watches them). */
@Module({
  providers: [SandboxOutbox],
  exports: [SandboxOutbox],
})
export class SandboxOutboxModule {}
