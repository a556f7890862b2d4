import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../redis';

/** Deletes the lock only for its holder: a probe that outlived its lock must not end the next holder's. */
const GIVE_BACK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The right to probe CometChat while the send breaker is open, held by one send at a time across every process on
 * the Redis. Each process keeps its own breaker (SendBreaker); without this lock each would probe once its window
 * ended, N probes a window for N processes. It lapses by itself after `ttlMs`, should its holder die mid-probe.
 * Used only while a breaker is open: a healthy send never asks.
 */
export class ProbeLock {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** A token when this caller may probe now, else undefined (another send is probing). */
  async take(): Promise<string | undefined> {
    const token = randomUUID();
    return (await this.redis.set(this.key, token, 'PX', this.ttlMs, 'NX')) === 'OK' ? token : undefined;
  }

  async giveBack(token: string): Promise<void> {
    await this.redis.eval(GIVE_BACK, 1, this.key, token);
  }
}
