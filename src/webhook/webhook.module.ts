import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { BasicAuthGuard } from './basic-auth.guard';
import { CallbackValidationPipe } from './callback-validation.pipe';
import { InboxService } from './inbox.service';
import { WebhookController } from './webhook.controller';

@Module({
  imports: [QueueModule],
  providers: [BasicAuthGuard, CallbackValidationPipe, InboxService, WebhookController],
})
export class WebhookModule {}
