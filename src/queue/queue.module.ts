import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { queueConfig, QueueConfig, tracingConfig, TracingConfig, webhookConfig, WebhookConfig } from '../config/app.config';
import { MetricsModule } from '../metrics/metrics.module';
import { RedisConnections } from '../redis';
import { bullmqTelemetry } from '../tracing/bullmq-telemetry';
import { AnswerRecords, FeedbackCollector, ingestAnswerRecords } from './answers/answer-records';
import { EventsProducer } from './events/events.producer';
import { jobOptions } from './job-contracts';
import { QUEUE_NAMES, QUEUES } from './queue-definitions';
import { ConnectionErrorLogger } from '../redis/connection-error.logger';
import { QueueErrorListener } from './queue-error.listener';
import { QueueMetricsCollector } from './queue-metrics.collector';
import { IngestTurns } from './turns';
import { batchWritesOnAnswers } from '../redis/write-batcher';

/**
 * The queues as producers, and the producer the webhook stores callbacks with. Their connection fails fast (no
 * offline queue, a command timeout) so the webhook can answer 503 at once instead of hanging while Redis is away.
 * Workers get their own connections in ProcessingModule. Every role loads it, so every role reports the queues' depth.
 */
@Module({
  imports: [
    MetricsModule,
    BullModule.forRootAsync({
      inject: [RedisConnections, webhookConfig.KEY, tracingConfig.KEY],
      useFactory: (redis: RedisConnections, webhook: WebhookConfig, tracing: TracingConfig) => ({
        prefix: redis.prefix,
        connection: batchWritesOnAnswers(redis.connect({ role: 'producer', commandTimeoutMs: webhook.enqueueTimeoutMs })),
        telemetry: bullmqTelemetry(tracing),
      }),
    }),
    BullModule.registerQueueAsync(
      ...QUEUE_NAMES.map((name) => ({
        name,
        inject: [queueConfig.KEY],
        useFactory: (queue: QueueConfig) => ({ defaultJobOptions: jobOptions(QUEUES[name].retry(queue)) }),
      })),
    ),
  ],
  providers: [ConnectionErrorLogger, QueueErrorListener, QueueMetricsCollector, IngestTurns, EventsProducer, ingestAnswerRecords, FeedbackCollector],
  exports: [BullModule, ConnectionErrorLogger, EventsProducer, AnswerRecords],
})
export class QueueModule {}
