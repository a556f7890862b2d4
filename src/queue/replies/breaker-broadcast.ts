import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RedisConnections } from '../../redis';
import { REPLIES_QUEUE } from '../queue-definitions';
import { WorkerRedis } from '../../redis/worker-redis.service';

/**
 * What one process's send breaker tells the others: it opened (for how long, after how many outage windows, whether
 * for an outage or a 429), or closed.
 */
export type BreakerNews = { open: { forMs: number; windows: number; failing: boolean } } | { closed: true };

/**
 * Tells every process on the Redis what one process's send breaker learnt (pub/sub, `<prefix>:replies:breaker`):
 * a 429 or an outage met by one process pauses every process's sends until one probe, instead of each process
 * learning it with calls of its own once the queue's pause lapses. Best effort: a process that misses a message (its
 * subscription reconnecting) learns from its own next send, as it would alone. A process ignores its own news.
 */
@Injectable()
export class BreakerBroadcast {
  private readonly logger = new Logger(BreakerBroadcast.name);
  private readonly channel: string;
  private readonly me = randomUUID();

  constructor(
    private readonly connections: RedisConnections,
    private readonly redis: WorkerRedis,
  ) {
    this.channel = `${redis.prefix}:${REPLIES_QUEUE}:breaker`;
  }

  /**
   * Hears the other processes' news from now on: one subscriber connection, resubscribed by ioredis after a reconnect,
   * closed with the app's other connections (RedisConnections).
   */
  async listen(heard: (news: BreakerNews) => void): Promise<void> {
    const subscriber = this.connections.connect({ role: 'worker' });
    subscriber.on('message', (_channel: string, text: string) => {
      const message = parse(text);
      if (message && message.from !== this.me) heard(message.news);
    });
    await subscriber.subscribe(this.channel);
  }

  /** Never fails: news that does not go out leaves the others to learn it from their own sends. */
  async tell(news: BreakerNews): Promise<void> {
    await this.redis.client.publish(this.channel, JSON.stringify({ from: this.me, news })).catch((error: Error) => {
      this.logger.debug(`breaker news not sent: ${error.message}`);
    });
  }
}

function parse(text: string): { from: string; news: BreakerNews } | undefined {
  try {
    const message = JSON.parse(text) as { from?: unknown; news?: BreakerNews };
    return typeof message.from === 'string' && message.news && typeof message.news === 'object'
      ? { from: message.from, news: message.news }
      : undefined;
  } catch {
    return undefined;
  }
}
