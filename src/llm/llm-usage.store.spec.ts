import type { RedisConnections } from '../redis';
import { LlmUsageStore, utcDay } from './llm-usage.store';

/** The few Redis commands the store sends, kept in a Map (the end-to-end test runs it on Redis). */
class FakeRedis {
  values = new Map<string, number>();
  ttls = new Map<string, number>();
  on() {
    return this;
  }
  async get(key: string) {
    return this.values.has(key) ? String(this.values.get(key)) : null;
  }
  multi() {
    const ops: Array<() => void> = [];
    const chain = {
      incrby: (key: string, n: number) => (ops.push(() => this.values.set(key, (this.values.get(key) ?? 0) + n)), chain),
      expire: (key: string, s: number) => (ops.push(() => this.ttls.set(key, s)), chain),
      exec: async () => ops.forEach((op) => op()),
    };
    return chain;
  }
}

const storeWith = (dailyTokensPerUser: number | undefined) => {
  const redis = new FakeRedis();
  const connections = { prefix: 'bot', connect: () => redis } as unknown as RedisConnections;
  return { store: new LlmUsageStore(connections, { dailyTokensPerUser }), redis };
};

describe('LlmUsageStore', () => {
  const noon = new Date('2026-03-01T12:00:00Z');

  it('counts per user per UTC day, the key expiring after the day is over', async () => {
    const { store, redis } = storeWith(100);
    await store.add('ana', 30, noon);
    await store.add('ana', 12.2, noon);
    await store.add('ana', 0, noon);
    expect(await store.spentToday('ana', noon)).toBe(43);
    expect(redis.ttls.get('bot:llm:tokens:2026-03-01:ana')).toBe(2 * 24 * 3600);
    expect(await store.spentToday('ana', new Date('2026-03-02T00:00:01Z'))).toBe(0);
    expect(await store.spentToday('ben', noon)).toBe(0);
  });

  it('allows a call while the count is under LLM_DAILY_TOKENS_PER_USER; always without one', async () => {
    const { store } = storeWith(100);
    await store.add('ana', 99, noon);
    expect(await store.allows('ana', noon)).toBe(true);
    await store.add('ana', 1, noon);
    expect(await store.allows('ana', noon)).toBe(false);

    const unlimited = storeWith(undefined).store;
    await unlimited.add('ana', 1_000_000, noon);
    expect(await unlimited.allows('ana', noon)).toBe(true);
  });

  it('names the day in UTC', () => {
    expect(utcDay(new Date('2026-03-01T23:59:59-05:00'))).toBe('2026-03-02');
  });
});
