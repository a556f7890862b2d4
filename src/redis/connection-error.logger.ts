import { Injectable, Logger } from '@nestjs/common';
import { RedisConnections } from '.';

const QUIET_MS = 30_000;

/**
 * The errors BullMQ's queues and workers raise. While Redis is away they are the same loss on every reconnect
 * attempt, which RedisAvailability has logged once already: those are dropped. Any other is logged once per 30 s per
 * source and message, so a fault is visible without flooding the log.
 */
@Injectable()
export class ConnectionErrorLogger {
  private readonly logger = new Logger('Redis');
  private readonly lastLogged = new Map<string, number>();

  constructor(private readonly redis: RedisConnections) {}

  report(source: string, error: Error): void {
    if (this.redis.availability.down) return;
    const key = `${source}:${error.message}`;
    const now = Date.now();
    if (now - (this.lastLogged.get(key) ?? 0) < QUIET_MS) return;
    this.lastLogged.set(key, now);
    this.logger.warn({ msg: 'Redis error', source, reason: error.message });
  }
}
