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

/** The news of one breaker's scope (a bot's, with several bots; the one breaker's, '', with one), to hear and to tell. */
export interface ScopedBreakerNews {
  listen(heard: (news: BreakerNews) => void): Promise<void>;
  tell(news: BreakerNews): Promise<void>;
}

/**
 * Tells every process on the Redis what one process's send breaker learnt (pub/sub, `<prefix>:replies:breaker`):
 * a 429 or an outage met by one process pauses every process's sends until one probe, instead of each process
 * learning it with calls of its own once the queue's pause lapses. Best effort: a process that misses a message (its
 * subscription reconnecting) learns from its own next send, as it would alone. A process ignores its own news. Each
 * bot's breaker hears only its own bot's news, all over one subscription.
 */
@Injectable()
export class BreakerBroadcast {
  private readonly logger = new Logger(BreakerBroadcast.name);
  private readonly channel: string;
  private readonly me = randomUUID();
  /** The breakers listening, by scope; one subscription for all of them, made by the first. */
  private readonly listeners = new Map<string, (news: BreakerNews) => void>();
  private subscribed?: Promise<void>;

  constructor(
    private readonly connections: RedisConnections,
    private readonly redis: WorkerRedis,
  ) {
    this.channel = `${redis.prefix}:${REPLIES_QUEUE}:breaker`;
  }

  /** The news of one scope ('' for the one breaker of a single-bot deployment, whose messages carry no scope). */
  scoped(scope: string): ScopedBreakerNews {
    return {
      listen: (heard) => this.listen(scope, heard),
      tell: (news) => this.tell(scope, news),
    };
  }

  /**
   * Hears the other processes' news of this scope from now on: one subscriber connection for every scope, resubscribed
   * by ioredis after a reconnect, closed with the app's other connections (RedisConnections).
   */
  private listen(scope: string, heard: (news: BreakerNews) => void): Promise<void> {
    this.listeners.set(scope, heard);
    this.subscribed ??= this.subscribe();
    return this.subscribed;
  }

  private async subscribe(): Promise<void> {
    const subscriber = this.connections.connect({ role: 'worker' });
    subscriber.on('message', (_channel: string, text: string) => {
      const message = parse(text);
      if (message && message.from !== this.me) this.listeners.get(message.scope)?.(message.news);
    });
    await subscriber.subscribe(this.channel);
  }

  /** Never fails: news that does not go out leaves the others to learn it from their own sends. */
  private async tell(scope: string, news: BreakerNews): Promise<void> {
    const message = scope === '' ? { from: this.me, news } : { from: this.me, scope, news };
    await this.redis.client.publish(this.channel, JSON.stringify(message)).catch((error: Error) => {
      this.logger.debug(`breaker news not sent: ${error.message}`);
    });
  }
}

function parse(text: string): { from: string; scope: string; news: BreakerNews } | undefined {
  try {
    const message = JSON.parse(text) as { from?: unknown; scope?: unknown; news?: BreakerNews };
    return typeof message.from === 'string' && message.news && typeof message.news === 'object'
      ? { from: message.from, scope: typeof message.scope === 'string' ? message.scope : '', news: message.news }
      : undefined;
  } catch {
    return undefined;
  }
}
