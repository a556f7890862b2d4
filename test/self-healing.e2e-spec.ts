import { Module } from '@nestjs/common';
import { BotEvent, Responder, textReply } from '../src/responders';
import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { PrivateRedis } from './support/private-redis';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

let turnStarted: () => void;
let releaseTurn: () => void;
const started = new Promise<void>((resolve) => (turnStarted = resolve));
const released = new Promise<void>((resolve) => (releaseTurn = resolve));

/** Holds its turn until the test has filled Redis, so that its reply meets a Redis that refuses writes. */
@Responder({ name: 'held', priority: 10 })
class HeldResponder {
  match(event: BotEvent) {
    return event.text === 'hold on';
  }
  async respond() {
    turnStarted();
    await released;
    return textReply('held reply');
  }
}

@Module({ providers: [HeldResponder] })
class HeldModule {}

/** Redis refuses writes mid-turn (out of memory), then has memory again: on a private redis-server. */
describe('self-healing after Redis refused writes', () => {
  let cometchat: FakeCometChat;
  let redis: PrivateRedis;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    redis = await PrivateRedis.start();
    // One attempt: a refused write fails the turn for good at once, as the last of any number of attempts would.
    app = await TestApp.start('self-healing', { REDIS_URL: redis.url, COMETCHAT_API_URL: cometchat.url, EVENTS_ATTEMPTS: '1' }, [HeldModule]);
  });
  afterAll(async () => {
    releaseTurn();
    await app.close({ keepKeys: true });
    await redis.stop();
    await cometchat.stop();
  });

  it('queues again by itself the turn Redis refused, once Redis takes writes, and the reply goes once', async () => {
    const callback = fixture('user-text');
    callback.data.data.text = 'hold on';
    expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
    await started;

    await redis.outOfMemory();
    releaseTurn();
    const event = async () => (await app.jobs('events')).find((j) => j.data.data.id === callback.data.id);
    await waitFor('the turn to fail on the refused write', async () => (await (await event())?.isFailed()) === true);
    expect((await event())!.failedReason).toMatch(/OOM/);

    await redis.outOfMemory(false);
    const back = Date.now();
    await waitFor('the reply', () => cometchat.delivered.some((c) => c.body.muid === `reply-${callback.data.id}-0`), { timeoutMs: 30_000 });
    expect(Date.now() - back).toBeLessThan(30_000);
    expect(cometchat.delivered.filter((c) => c.body.muid === `reply-${callback.data.id}-0`)).toHaveLength(1);
    expect(await app.queue('events').getFailedCount()).toBe(0);
  });
});
