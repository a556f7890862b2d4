import { FakeCometChat } from './support/fake-cometchat';
import { directText, fixture, messageEdited } from './support/fixtures';
import { RedisProxy } from './support/redis-proxy';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Redis going away under the webhook: never a 200 for a message that was not stored, and back by itself. */
describe('when Redis is unavailable', () => {
  let proxy: RedisProxy;
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    proxy = await new RedisProxy().start();
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start('resilience', { REDIS_URL: proxy.url, COMETCHAT_API_URL: cometchat.url });
  });
  afterAll(async () => {
    proxy.up();
    await app.close();
    await proxy.stop();
    await cometchat.stop();
  });
  afterEach(() => proxy.up());

  const timed = async <T>(work: () => Promise<T>) => {
    const started = Date.now();
    const result = await work();
    return { result, ms: Date.now() - started };
  };
  const ready = () => app.app.inject({ method: 'GET', url: '/health/ready' });

  /** The webhook refuses the callback with 503 + Retry-After, in time. */
  async function expectRefused(target: TestApp, callback: object): Promise<void> {
    const { result: res, ms } = await timed(() => target.post(callback));
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(ms).toBeLessThan(2000);
  }

  /** CometChat's redelivery (or anyone's retry) of a refused callback is stored and answered once Redis is back. */
  async function expectTakenOnRetry(target: TestApp, callback: object): Promise<void> {
    const accepted = await waitFor(
      'the webhook to accept again',
      async () => {
        const retry = await target.post(callback);
        return retry.statusCode === 200 && retry.json();
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(['accepted', 'duplicate']).toContain(accepted.status);
  }

  it('is ready while Redis answers', async () => {
    const res = await ready();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', details: { redis: { status: 'up' } } });
  });

  it.each([
    ['down', () => proxy.down()],
    ['too slow to answer', () => proxy.stall()],
  ])('answers 503 with Retry-After within 2 s when Redis is %s, and recovers by itself', async (_, breakRedis) => {
    breakRedis();
    const refused = fixture('user-text');
    await expectRefused(app, refused);

    const { result: health, ms: healthMs } = await timed(ready);
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: 'error', details: { redis: { status: 'down' } } });
    expect(healthMs).toBeLessThan(2000);

    proxy.up();
    await expectTakenOnRetry(app, refused);
    await waitFor('the reply to the refused message', () => cometchat.calls.some((c) => c.body.muid === `reply-${refused.data.id}-0`));
    expect((await ready()).statusCode).toBe(200);
  });

  it('starts without Redis, answers 503 meanwhile, and takes messages once Redis is there', async () => {
    const lateProxy = await new RedisProxy().start();
    lateProxy.down();
    const late = await TestApp.start('resilience-late', { REDIS_URL: lateProxy.url, APP_ROLE: 'api' });
    try {
      const callback = fixture('user-text');
      await expectRefused(late, callback);

      lateProxy.up();
      await expectTakenOnRetry(late, callback);
      // Stored with its place in the conversation's line, as any message taken while Redis was up.
      const stored = (await late.jobs('events')).map((j) => j.data.data.id);
      expect(stored).toContain(callback.data.id);
      const line = await late.redis().zrange(`${late.prefix}:events:line:user-${callback.data.sender}`, '0', '-1');
      expect(line.map((member) => member.split(':')[1])).toContain(callback.data.id);
    } finally {
      await late.close();
      await lateProxy.stop();
    }
  });

  it('refuses an app webhook event it cannot store with 503 + Retry-After within 2 s, and takes its redelivery once Redis is back', async () => {
    const question = directText('when do you open', 'resilience-ana');
    expect((await app.post(question)).json()).toMatchObject({ status: 'accepted' });
    await waitFor('the answer', () => cometchat.messages.some((m) => m.receiver === 'resilience-ana'));
    await app.drained();
    const edit = messageEdited(question, 'when do you open on sunday');
    proxy.down();
    const { result: res, ms } = await timed(() => app.postEvent(edit));
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(ms).toBeLessThan(2000);
    proxy.up();
    const accepted = await waitFor(
      'the events route to accept again',
      async () => {
        const retry = await app.postEvent(edit);
        return retry.statusCode === 200 && retry.json();
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(accepted).toMatchObject({ status: 'accepted' });
    await waitFor('the edit answered', () => cometchat.messages.filter((m) => m.receiver === 'resilience-ana').length === 2);
  });

  it('never answers 200 for a message it did not store', async () => {
    const callbacks = Array.from({ length: 20 }, () => fixture('user-text'));
    const answers = [];
    for (const [i, callback] of callbacks.entries()) {
      if (i === 10) proxy.down();
      answers.push(await app.post(callback));
    }
    proxy.up();
    await waitFor('Redis to be back', async () => (await ready()).statusCode === 200, { intervalMs: 200 });
    const stored = new Set((await app.jobs('events')).map((j) => j.data.data.id));
    answers.forEach((res, i) => {
      if (res.statusCode === 200) expect(stored.has(callbacks[i].data.id)).toBe(true);
      else expect(res.statusCode).toBe(503);
    });
    expect(answers.filter((r) => r.statusCode === 503).length).toBeGreaterThanOrEqual(10);
  });
});
