import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { QueueModule } from '../queue/queue.module';
import { CallbackRoute } from './callback.route';
import { InboxService } from './inbox.service';

@Module({
  imports: [QueueModule, MetricsModule],
  providers: [InboxService, CallbackRoute],
})
export class WebhookModule {}
