import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE } from '../queue/queue-definitions';
import { redisClientOf } from '../queue/redis-client';

const PING_TIMEOUT_MS = 1000;

/** Redis is up when the events queue's own connection answers PING in time. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'redis') {
    const indicator = this.health.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      const ping = redisClientOf(this.events).then((client) => client.ping());
      ping.catch(() => undefined);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PONG in ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      });
      await Promise.race([ping, timeout]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}
