import { Module } from '@nestjs/common';
import { Job } from 'bullmq';
import { BotEvent, Responder } from '../src/responders';
import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** A team's own responder, added the way a team adds one: a class listed in a module. */
@Responder({ name: 'always-fails', priority: 10 })
class AlwaysFailsResponder {
  match(event: BotEvent) {
    return event.text === 'please fail';
  }
  respond(): never {
    throw new Error('the knowledge base is down');
  }
}

@Module({ providers: [AlwaysFailsResponder] })
class TestRespondersModule {}

/** From callback to CometChat: the real app, a real Redis, and a fake CometChat that misbehaves on cue. */
describe('replies to CometChat', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start(
      'replies',
      {
        COMETCHAT_API_URL: cometchat.url,
        COMETCHAT_TIMEOUT_MS: '400',
        RETRY_BACKOFF_MS: '100',
        EVENTS_ATTEMPTS: '3',
        REPLIES_CONCURRENCY: '1',
      },
      [TestRespondersModule],
    );
  });
  afterAll(async () => {
    await app.close();
    await cometchat.stop();
  });

  const callsFor = (messageId: string) => cometchat.calls.filter((c) => c.body.muid?.startsWith(`reply-${messageId}-`));
  const replyJob = (messageId: string, index = 0) => app.queue('replies').getJob(`reply-${messageId}-${index}`);
  const eventJob = async (messageId: string) => (await app.jobs('events')).find((j) => j.data.data.id === messageId)!;
  const stateOf = async (job: Promise<Job | undefined>) => (await job)?.getState();

  it('answers a one-to-one message to its sender through Send Bot Message', async () => {
    const callback = fixture('user-text');
    expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });

    const [call] = await waitFor('the echo reply', () => callsFor(callback.data.id).length > 0 && callsFor(callback.data.id));
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/v3/bots/support-bot/messages');
    expect(call.headers.apikey).toBe('e2e-api-key');
    expect(call.headers['content-type']).toMatch(/^application\/json/);
    expect(call.body).toEqual({
      receiver: 'cometchat-uid-1',
      receiverType: 'user',
      category: 'message',
      type: 'text',
      data: { text: 'Where is my order #5521?' },
      muid: `reply-${callback.data.id}-0`,
    });
  });

  it('answers a group message in the group, with the bot mention removed', async () => {
    const callback = fixture('group-mention');
    await app.post(callback);
    const [call] = await waitFor('the group reply', () => callsFor(callback.data.id).length > 0 && callsFor(callback.data.id));
    expect(call.body).toMatchObject({
      receiver: 'ops-room',
      receiverType: 'group',
      data: { text: "summarise today's incidents" },
    });
  });

  it('does not answer messages no responder takes (an image, with only the echo installed)', async () => {
    const image = fixture('user-image');
    await app.post(image);
    await waitFor('the image event to complete', async () => (await eventJob(image.data.id))?.isCompleted());
    expect(await (await eventJob(image.data.id)).returnvalue).toEqual({ replies: [] });
    expect(callsFor(image.data.id)).toHaveLength(0);
  });

  it("pauses every reply for a 429's Retry-After, across conversations: no call in the window, then each reply once", async () => {
    const limited = fixture('user-text');
    const others = [1, 2, 3].map((n) => {
      const callback = fixture('user-text');
      callback.data.sender = `waiting-user-${n}`;
      return callback;
    });
    cometchat.answerNext({ status: 429, headers: { 'retry-after': '2' } });
    await app.post(limited);
    const [first] = await waitFor('the 429', () => callsFor(limited.data.id).length === 1 && callsFor(limited.data.id));
    for (const callback of others) await app.post(callback);

    const all = [limited, ...others];
    await waitFor('every reply', () => all.every((c) => callsFor(c.data.id).some((call) => call.answer === 200)), { timeoutMs: 10_000 });
    // A storm costs one call per window, not one per waiting reply: nothing went out while CometChat asked to wait.
    const ours = all.flatMap((c) => callsFor(c.data.id));
    expect(ours.filter((call) => call !== first && call.at < first.at + 1900)).toEqual([]);
    expect(callsFor(limited.data.id).map((call) => call.answer)).toEqual([429, 200]);
    for (const callback of others) expect(callsFor(callback.data.id)).toHaveLength(1);
    expect(await stateOf(replyJob(limited.data.id))).toBe('completed');
    expect((await replyJob(limited.data.id))!.attemptsMade).toBe(1); // the send that went through: the 429 cost none
  });

  it('pauses sending once CometChat says the quota is spent (X-Rate-Limit-Remaining: 0), until it resets', async () => {
    const spent = fixture('user-text');
    const next = fixture('user-text');
    next.data.sender = 'after-quota-user';
    const reset = Math.ceil(Date.now() / 1000) + 2;
    cometchat.answerNext({ status: 200, headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } });
    await app.post(spent);
    await waitFor('the last call of the quota', () => callsFor(spent.data.id).length === 1);
    await app.post(next);
    const [call] = await waitFor('the next reply', () => callsFor(next.data.id).length === 1 && callsFor(next.data.id), { timeoutMs: 10_000 });
    expect(call.at).toBeGreaterThanOrEqual(reset * 1000 - 1000);
  });

  it('falls back to X-Rate-Limit-Reset when Retry-After is missing', async () => {
    const callback = fixture('user-text');
    const reset = String(Math.ceil(Date.now() / 1000) + 2);
    cometchat.answerNext({ status: 429, headers: { 'x-rate-limit-reset': reset } });
    await app.post(callback);
    const [first, second] = await waitFor('the retry', () => callsFor(callback.data.id).length === 2 && callsFor(callback.data.id));
    expect(second.at).toBeGreaterThanOrEqual(Number(reset) * 1000 - 1000);
    expect(second.at - first.at).toBeGreaterThanOrEqual(900);
  });

  it('retries 5xx, resets and timeouts with backoff, and posts the reply exactly once', async () => {
    const callback = fixture('user-text');
    cometchat.answerNext({ status: 503 }, { reset: true }, { hang: true });
    await app.post(callback);
    await waitFor('the reply to be sent', async () => (await stateOf(replyJob(callback.data.id))) === 'completed');

    const calls = callsFor(callback.data.id);
    expect(calls.map((c) => c.answer)).toEqual([503, 'reset', 'hang', 200]);
    expect(new Set(calls.map((c) => c.body.muid)).size).toBe(1);
    expect((await replyJob(callback.data.id))!.attemptsMade).toBe(4);
    cometchat.releaseHanging();
  });

  it('fails a reply CometChat refuses (4xx) at once, and keeps it with the reason', async () => {
    const callback = fixture('user-text');
    cometchat.answerNext({ status: 404, body: { error: { code: 'ERR_UID_NOT_FOUND', message: 'no such user' } } });
    await app.post(callback);
    await waitFor('the reply to fail', async () => (await stateOf(replyJob(callback.data.id))) === 'failed');

    const job = (await replyJob(callback.data.id))!;
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('ERR_UID_NOT_FOUND');
    expect(job.failedReason).toContain('404');
    expect(callsFor(callback.data.id)).toHaveLength(1);
  });

  it('never follows a redirect (it would post the message elsewhere): the reply fails for good', async () => {
    const callback = fixture('user-text');
    cometchat.answerNext({ status: 307, headers: { location: `${cometchat.url}/bots/support-bot/messages?again=1` } });
    await app.post(callback);
    await waitFor('the reply to fail', async () => (await stateOf(replyJob(callback.data.id))) === 'failed');
    expect((await replyJob(callback.data.id))!.failedReason).toContain('307');
    expect(callsFor(callback.data.id)).toHaveLength(1);
  });

  it('retries a responder that throws, then keeps the event failed for inspection', async () => {
    const callback = fixture('user-text');
    callback.data.data.text = 'please fail';
    await app.post(callback);
    await waitFor('the event to fail', async () => (await eventJob(callback.data.id))?.isFailed());
    const job = await eventJob(callback.data.id);
    expect(job.attemptsMade).toBe(3);
    expect(job.failedReason).toBe('the knowledge base is down');
    expect(callsFor(callback.data.id)).toHaveLength(0);
  });

  describe('never posts twice', () => {
    it('does not queue a reply again when the event runs again', async () => {
      const callback = fixture('user-text');
      await app.post(callback);
      await waitFor('the reply', async () => (await stateOf(replyJob(callback.data.id))) === 'completed');

      await (await eventJob(callback.data.id)).retry('completed');
      await waitFor('the event to run again', async () => (await eventJob(callback.data.id)).isCompleted());
      expect((await app.jobs('replies')).filter((j) => j.data.eventId === callback.data.id)).toHaveLength(1);
      expect(callsFor(callback.data.id)).toHaveLength(1);
    });

    it('processes a redelivered message zero more times', async () => {
      const callback = fixture('group-mention');
      await app.post(callback);
      await waitFor('the reply', async () => (await stateOf(replyJob(callback.data.id))) === 'completed');
      expect((await app.post(callback)).json()).toMatchObject({ status: 'duplicate' });
      expect((await app.jobs('events')).filter((j) => j.data.data.id === callback.data.id)).toHaveLength(1);
      expect(callsFor(callback.data.id)).toHaveLength(1);
    });
  });

  it('keeps sends under COMETCHAT_MAX_REQUESTS_PER_MINUTE, across the queue', async () => {
    const capped = await TestApp.start('replies-capped', { COMETCHAT_API_URL: cometchat.url, COMETCHAT_MAX_REQUESTS_PER_MINUTE: '3' });
    try {
      const callbacks = [1, 2, 3, 4, 5].map((n) => {
        const callback = fixture('user-text');
        callback.data.sender = `capped-user-${n}`;
        return callback;
      });
      for (const callback of callbacks) await capped.post(callback);
      const sentCount = () => callbacks.filter((c) => callsFor(c.data.id).length > 0).length;
      await waitFor('the first three sends', () => sentCount() === 3);
      // The other two wait for the next minute: none goes out meanwhile.
      await expect(waitFor('a fourth send', () => sentCount() > 3, { timeoutMs: 1500 })).rejects.toThrow(/timed out/);
      expect(await capped.queue('replies').getWaitingCount()).toBe(2);
    } finally {
      await capped.close();
    }
  });
});
