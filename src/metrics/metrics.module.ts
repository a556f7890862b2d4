import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/**
 * The registry and `GET /metrics`. Imported by the modules that record (webhook, queue, cometchat) and by the app
 * in every role; it imports none of them: each registers what it measures.
 */
@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
