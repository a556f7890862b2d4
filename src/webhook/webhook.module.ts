import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { QueueModule } from '../queue/queue.module';
import { BasicAuthGuard } from './basic-auth.guard';
import { CallbackValidationPipe } from './callback-validation.pipe';
import { InboxService } from './inbox.service';
import { WebhookController } from './webhook.controller';

@Module({
  imports: [QueueModule, MetricsModule],
  providers: [BasicAuthGuard, CallbackValidationPipe, InboxService, WebhookController],
})
export class WebhookModule {}
