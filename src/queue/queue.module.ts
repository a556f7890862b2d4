import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { redisConfig, RedisConfig, webhookConfig, WebhookConfig } from '../config/app.config';
import { EVENT_JOB_OPTIONS, EVENTS_QUEUE, REPLIES_QUEUE, REPLY_JOB_OPTIONS } from './job-contracts';

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
        },
      }),
    }),
    BullModule.registerQueue(
      { name: EVENTS_QUEUE, defaultJobOptions: EVENT_JOB_OPTIONS },
      { name: REPLIES_QUEUE, defaultJobOptions: REPLY_JOB_OPTIONS },
    ),
  ],
  exports: [BullModule],
})
export class QueueModule {}
