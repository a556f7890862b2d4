import { randomBytes } from 'node:crypto';
import { RedisConnections } from '../redis';
import { LlmUsageStore, utcDay } from './llm-usage.store';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('LlmUsageStore', () => {
  const noon = new Date('2026-03-01T12:00:00Z');
  const connections: RedisConnections[] = [];
  let prefix: string;

  const timeoutMs = 30_000;
  const storeWith = (dailyTokensPerUser: number | undefined, maxOutputTokens = 1000) => {
    const redis = new RedisConnections({ topology: { kind: 'single', url }, prefix });
    connections.push(redis);
    return new LlmUsageStore(redis, { dailyTokensPerUser, maxOutputTokens, timeoutMs });
  };

  beforeEach(() => (prefix = `unit-llm-usage-${randomBytes(4).toString('hex')}`));
  afterAll(async () => {
    const cleanup = connections[0]?.connect({ role: 'commands' });
    const keys = cleanup ? await cleanup.keys('unit-llm-usage-*') : [];
    if (keys.length > 0) await cleanup.del(...keys);
    await Promise.all(connections.map((c) => c.onApplicationShutdown()));
  });

  it('counts what each turn spent, per user per UTC day, the key expiring after the day is over', async () => {
    const store = storeWith(100_000);
    await store.settle((await store.reserve('ana', noon))!, 30);
    await store.settle((await store.reserve('ana', noon))!, 12.2);
    await store.settle((await store.reserve('ana', noon))!, 0);
    expect(await store.spentToday('ana', noon)).toBe(43);
    const ttl = await connections[0].connect({ role: 'commands' }).ttl(`${prefix}:llm:tokens:2026-03-01:ana`);
    expect(ttl).toBeGreaterThan(2 * 24 * 3600 - 60);
    expect(await store.spentToday('ana', new Date('2026-03-02T00:00:01Z'))).toBe(0);
    expect(await store.spentToday('ben', noon)).toBe(0);
  });

  it('holds LLM_MAX_OUTPUT_TOKENS while a turn runs, so a second turn of the same user at once sees it', async () => {
    const store = storeWith(1500, 1000);
    const first = await store.reserve('ana', noon);
    expect(first).toMatchObject({ key: `${prefix}:llm:tokens:2026-03-01:ana`, held: 1000 });
    expect(await store.spentToday('ana', noon)).toBe(1000);
    const second = await store.reserve('ana', noon); // 1000 < 1500: it may start too
    expect(second).not.toBeNull();
    // Two turns hold 2000: a third is refused before any of them has booked a token.
    expect(await store.reserve('ana', noon)).toBeNull();
    expect(await store.spentToday('ana', noon)).toBe(2000);

    await store.settle(first!, 15);
    await store.settle(second!, 20);
    expect(await store.spentToday('ana', noon)).toBe(35);
    expect(await store.reserve('ana', noon)).not.toBeNull();
  });

  it('stops counting the hold of a turn that never settled (its process died) once that turn cannot be running', async () => {
    const store = storeWith(1500, 1000);
    expect(await store.reserve('ana', noon)).not.toBeNull(); // its turn dies: never settled
    expect(await store.reserve('ana', noon)).not.toBeNull(); // its retry
    expect(await store.reserve('ana', noon)).toBeNull();

    // Past LLM_TIMEOUT_MS and the grace for a settle on its way, the dead turn's hold (and the retry's) no longer count.
    const later = new Date(noon.getTime() + timeoutMs + 60_001);
    expect(await store.spentToday('ana', later)).toBe(0);
    const next = await store.reserve('ana', later);
    expect(next).not.toBeNull();
    await store.settle(next!, 40);
    expect(await store.spentToday('ana', later)).toBe(40);
    // A settle that comes after its hold lapsed still books what was spent.
    const slow = (await store.reserve('ben', noon))!;
    expect(await store.spentToday('ben', later)).toBe(0);
    await store.settle(slow, 25);
    expect(await store.spentToday('ben', later)).toBe(25);
  });

  it('refuses once the day is spent, many turns at once included; always holds without a budget', async () => {
    const store = storeWith(1000, 100);
    const holds = await Promise.all(Array.from({ length: 20 }, () => store.reserve('ana', noon)));
    // Only as many as fit under the budget at 100 each: ten, however the twenty interleave.
    expect(holds.filter(Boolean)).toHaveLength(10);

    const unlimited = storeWith(undefined, 100);
    await unlimited.settle((await unlimited.reserve('ben', noon))!, 1_000_000);
    expect(await unlimited.reserve('ben', noon)).toEqual({ key: `${prefix}:llm:tokens:2026-03-01:ben`, held: 0 });
    expect(await unlimited.spentToday('ben', noon)).toBe(1_000_000);
  });

  it('names the day in UTC', () => {
    expect(utcDay(new Date('2026-03-01T23:59:59-05:00'))).toBe('2026-03-02');
  });
});
