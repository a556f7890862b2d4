import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { redisConfig, RedisConfig } from '../config/app.config';
import { REPLIES_QUEUE } from './job-contracts';
import { reconnectDelay } from './redis-client';

// Longer than the dedup window plus failed-job retention, so no path can resend a confirmed reply.
const LEDGER_TTL_SECONDS = 8 * 24 * 60 * 60;

/**
 * Which replies CometChat has confirmed, by reply job id, so a retry or a re-run never posts twice.
 * Its connection is patient (it waits for Redis to come back) because a confirmation must not be dropped.
 */
@Injectable()
export class SendLedger implements OnApplicationShutdown {
  private readonly keyPrefix: string;
  private readonly redis: Redis;

  constructor(@Inject(redisConfig.KEY) config: RedisConfig) {
    this.keyPrefix = `${config.prefix}:${REPLIES_QUEUE}:sent:`;
    this.redis = new Redis(config.url, { maxRetriesPerRequest: null, retryStrategy: reconnectDelay });
    this.redis.on('error', () => undefined); // reported by the workers sharing this Redis
  }

  /** The CometChat message id the reply was stored as, or null when it was never confirmed. */
  sentAs(replyId: string): Promise<string | null> {
    return this.redis.get(this.keyPrefix + replyId);
  }

  async record(replyId: string, messageId: string): Promise<void> {
    await this.redis.set(this.keyPrefix + replyId, messageId || 'unknown', 'EX', LEDGER_TTL_SECONDS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
