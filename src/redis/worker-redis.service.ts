import { Injectable } from '@nestjs/common';
import { batchWritesOnAnswers } from './write-batcher';
import { RedisClient, RedisConnections } from '.';

/**
 * The workers' own Redis connection for plain commands (conversation turns, send records, the probe lock). Patient, unlike
 * the webhook's fail-fast one: a worker waits for Redis to come back rather than drop a confirmation.
 */
@Injectable()
export class WorkerRedis {
  readonly client: RedisClient;
  readonly prefix: string;

  constructor(redis: RedisConnections) {
    this.prefix = redis.prefix;
    this.client = redis.connect({ role: 'worker' });
    batchWritesOnAnswers(this.client);
    this.client.on('error', () => undefined); // RedisAvailability logs an outage once, for every connection
  }
}
