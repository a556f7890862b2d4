import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { redisConfig, RedisConfig } from '../config/app.config';
import { reconnectDelay } from './redis-client';

/**
 * The workers' own Redis connection for plain commands (conversation turns, conversation state). Patient, unlike
 * the webhook's fail-fast one: a worker waits for Redis to come back rather than drop a confirmation.
 */
@Injectable()
export class WorkerRedis implements OnApplicationShutdown {
  readonly client: Redis;
  readonly prefix: string;

  constructor(@Inject(redisConfig.KEY) config: RedisConfig) {
    this.prefix = config.prefix;
    this.client = new Redis(config.url, { maxRetriesPerRequest: null, retryStrategy: reconnectDelay });
    this.client.on('error', () => undefined); // the workers on the same Redis report outages
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
