import { randomBytes } from 'node:crypto';
import { RedisConnections } from '../redis';
import { ConversationStateStore } from './conversation-state.store';

/** The store on the Redis at REDIS_URL, through the app's connection factory. */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('ConversationStateStore', () => {
  let prefix: string;
  let connections: RedisConnections;
  let store: ConversationStateStore;

  beforeEach(() => {
    prefix = `unit-state-${randomBytes(4).toString('hex')}`;
    connections = new RedisConnections({ topology: { kind: 'single', url }, prefix });
    jest.spyOn(connections, 'connect');
    store = new ConversationStateStore(connections, { stateTtlSeconds: 60 });
  });

  afterEach(async () => {
    const redis = connections.connect({ role: 'commands' });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await connections.onApplicationShutdown();
  });

  it('opens a patient connection of its own (the worker profile), through RedisConnections', () => {
    expect(connections.connect).toHaveBeenCalledTimes(1);
    expect(connections.connect).toHaveBeenCalledWith({ role: 'worker' });
  });

  it("keeps a conversation's fields as JSON in one hash, <prefix>:state:<conversation>, expiring after the TTL", async () => {
    const state = store.for({ type: 'group', id: 'support' });
    await state.set('order', { id: 42, items: ['tea'] });
    expect(await state.get('order')).toEqual({ id: 42, items: ['tea'] });
    expect(await store.for({ type: 'user', id: 'support' }).get('order')).toBeUndefined();

    const redis = connections.connect({ role: 'commands' });
    const key = `${prefix}:state:group-support`;
    expect(await redis.hgetall(key)).toEqual({ order: '{"id":42,"items":["tea"]}' });
    expect(await redis.ttl(key)).toBeGreaterThan(55);

    await state.delete('order');
    expect(await state.get('order')).toBeUndefined();
  });
});
