import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { queueConfig, QueueConfig, redisConfig, RedisConfig, webhookConfig, WebhookConfig } from '../config/app.config';
import { EVENTS_QUEUE, jobOptions, REPLIES_QUEUE } from './job-contracts';
import { reconnectDelay } from './redis-client';
import { ConnectionErrorLogger } from './connection-error.logger';
import { QueueErrorListener } from './queue-error.listener';

/**
 * The two queues as producers. Their connection fails fast (no offline queue, a command timeout) so the
 * webhook can answer 503 at once instead of hanging while Redis is away. Workers get their own
 * connections in ProcessingModule.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [redisConfig.KEY, webhookConfig.KEY],
      useFactory: (redis: RedisConfig, webhook: WebhookConfig) => ({
        prefix: redis.prefix,
        connection: {
          url: redis.url,
          enableOfflineQueue: false,
          commandTimeout: webhook.enqueueTimeoutMs,
          maxRetriesPerRequest: 1,
          retryStrategy: reconnectDelay,
        },
      }),
    }),
    BullModule.registerQueueAsync(
      {
        name: EVENTS_QUEUE,
        inject: [queueConfig.KEY],
        useFactory: (queue: QueueConfig) => ({ defaultJobOptions: jobOptions(queue.events) }),
      },
      {
        name: REPLIES_QUEUE,
        inject: [queueConfig.KEY],
        useFactory: (queue: QueueConfig) => ({ defaultJobOptions: jobOptions(queue.replies) }),
      },
    ),
  ],
  providers: [ConnectionErrorLogger, QueueErrorListener],
  exports: [BullModule, ConnectionErrorLogger],
})
export class QueueModule {}
