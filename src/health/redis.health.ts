import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Queue } from 'bullmq';
import { redisConfig, RedisConfig } from '../config/app.config';
import { EVENTS_QUEUE } from '../queue/queue-definitions';
import { redisClientOf } from '../redis/redis-client';

const PROBE_TIMEOUT_MS = 1000;

/**
 * Redis is up when it takes a write, in time, on the events queue's own connection: answering PING is not enough,
 * since a Redis out of memory (noeviction), a read-only replica, a Cluster node that moved the slot or a cluster
 * that is down still answer PING while refusing every message. The reason it refuses goes in the answer.
 */
@Injectable()
export class RedisHealthIndicator {
  private readonly probeKey: string;

  constructor(
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue,
    private readonly health: HealthIndicatorService,
    @Inject(redisConfig.KEY) redis: RedisConfig,
  ) {
    this.probeKey = `${redis.prefix}:health:ready`;
  }

  async isHealthy(key = 'redis') {
    const indicator = this.health.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      const write = redisClientOf(this.events).then((client) => client.set(this.probeKey, String(Date.now()), 'PX', 60_000));
      write.catch(() => undefined);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to a write in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      });
      await Promise.race([write, timeout]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}
