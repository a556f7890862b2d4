import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { BasicAuthGuard } from './basic-auth.guard';
import { InboxService } from './inbox.service';
import { WebhookController } from './webhook.controller';

@Module({
  imports: [QueueModule],
  controllers: [WebhookController],
  providers: [BasicAuthGuard, InboxService],
})
export class WebhookModule {}
