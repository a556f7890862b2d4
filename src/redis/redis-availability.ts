import { Logger } from '@nestjs/common';
import type { RedisClient } from './redis-connection.factory';

/**
 * Whether Redis answers, as the app's own connections see it: one line when the first of them loses Redis (with its
 * reason), one when all of them have it again; nothing per reconnect attempt in between.
 */
export class RedisAvailability {
  private readonly logger = new Logger('Redis');
  /** The connections without Redis, and when the first of them lost it. */
  private readonly lost = new Set<RedisClient>();
  private lostAt = 0;
  private closing = false;

  /** Down from the first loss until every connection is ready again. */
  get down(): boolean {
    return this.lost.size > 0;
  }

  watch(client: RedisClient, connection: string): void {
    let lastError: string | undefined;
    // An error on a connection still up (a reset socket) is its loss's reason; the loss is its close.
    client.on('error', (error: Error) => {
      lastError = error.message;
      if (client.status !== 'ready') this.loses(client, connection, error.message);
    });
    client.on('close', () => this.loses(client, connection, lastError ?? 'connection closed'));
    client.on('ready', () => {
      lastError = undefined;
      this.regains(client, connection);
    });
  }

  /** The app closes its connections: that is no loss. */
  close(): void {
    this.closing = true;
  }

  private loses(client: RedisClient, connection: string, reason: string): void {
    if (this.closing || this.lost.has(client)) return;
    this.lost.add(client);
    if (this.lost.size > 1) return;
    this.lostAt = Date.now();
    this.logger.warn({ msg: 'Redis connection lost', connection, reason });
  }

  private regains(client: RedisClient, connection: string): void {
    if (!this.lost.delete(client) || this.lost.size > 0) return;
    this.logger.log({ msg: 'Redis connection restored', connection, downMs: Date.now() - this.lostAt });
  }
}
