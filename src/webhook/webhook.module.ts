import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { QueueModule } from '../queue/queue.module';
import { CallbackRoute } from './callback.route';
import { InboxService } from './inbox.service';
import { AppEventsInbox } from './app-events/app-events.inbox';
import { AppEventsRoute } from './app-events/app-events.route';

@Module({
  imports: [QueueModule, MetricsModule],
  providers: [InboxService, CallbackRoute, AppEventsInbox, AppEventsRoute],
})
export class WebhookModule {}
