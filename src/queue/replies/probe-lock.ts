import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { withLuaCommands, type RedisClient } from '../../redis';

/** The lock's script (commands/giveBackProbe-1.lua): deletes it only for its holder. */
interface ProbeCommands {
  giveBackProbe(key: string, token: string): Promise<number>;
}

/**
 * The right to probe CometChat while the send breaker is open, held by one send at a time across every process on
 * the Redis. Each process keeps its own breaker (SendBreaker); without this lock each would probe once its window
 * ended, N probes a window for N processes. It lapses by itself after `ttlMs`, should its holder die mid-probe.
 * Used only while a breaker is open: a healthy send never asks.
 */
export class ProbeLock {
  private readonly redis: RedisClient & ProbeCommands;

  constructor(
    redis: RedisClient,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {
    this.redis = withLuaCommands<ProbeCommands>(redis, join(__dirname, 'commands'));
  }

  /** A token when this caller may probe now, else undefined (another send is probing). */
  async take(): Promise<string | undefined> {
    const token = randomUUID();
    return (await this.redis.set(this.key, token, 'PX', this.ttlMs, 'NX')) === 'OK' ? token : undefined;
  }

  async giveBack(token: string): Promise<void> {
    await this.redis.giveBackProbe(this.key, token);
  }
}
