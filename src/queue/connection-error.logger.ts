import { Logger } from '@nestjs/common';

const QUIET_MS = 30_000;

/**
 * While Redis is away every reconnect attempt raises the same error; log each distinct message once per
 * 30 s per source so an outage is visible without flooding the log.
 */
export class ConnectionErrorLogger {
  private readonly logger = new Logger('Redis');
  private readonly lastLogged = new Map<string, number>();

  report(source: string, error: Error): void {
    const key = `${source}:${error.message}`;
    const now = Date.now();
    if (now - (this.lastLogged.get(key) ?? 0) < QUIET_MS) return;
    this.lastLogged.set(key, now);
    this.logger.warn(`${source}: ${error.message}`);
  }
}
