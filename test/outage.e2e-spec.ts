import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** CometChat down for a while (5xx and dropped connections): the real app, a real Redis, a fake CometChat. */
describe('a CometChat outage', () => {
  let cometchat: FakeCometChat;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterAll(async () => {
    await cometchat.stop();
  });
  afterEach(() => cometchat.recover());

  const callsFor = (messageId: string) => cometchat.calls.filter((c) => c.body.muid?.startsWith(`reply-${messageId}-`));
  const fromSenders = (tag: string, count: number) =>
    Array.from({ length: count }, (_, n) => {
      const callback = fixture('user-text');
      callback.data.sender = `${tag}-user-${n}`;
      return callback;
    });

  it('holds the backlog behind a breaker instead of calling per reply, loses none, and delivers each once soon after recovery', async () => {
    const app = await TestApp.start('outage-survived', {
      COMETCHAT_API_URL: cometchat.url,
      RETRY_BACKOFF_MS: '100',
      RETRY_BACKOFF_MAX_MS: '1000',
      REPLIES_CONCURRENCY: '4',
    });
    try {
      const callbacks = fromSenders('outage', 20);
      const ours = () => callbacks.flatMap((c) => callsFor(c.data.id));
      cometchat.startOutage({ status: 503 }, { reset: true }, { status: 500 });
      const outageStart = Date.now();
      for (const callback of callbacks) expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });

      // Longer than the old count of 8 attempts covered with these delays (~4.5 s), so only a time budget survives it.
      await waitFor('six seconds of outage', () => Date.now() - outageStart >= 6000, { timeoutMs: 10_000 });
      const duringOutage = ours().length;
      // Without the breaker each of the 20 replies is retried on its own backoff: well over a hundred calls.
      expect(duringOutage).toBeLessThan(callbacks.length);

      cometchat.recover();
      const recoveredAt = Date.now();
      await waitFor('every reply delivered', () => callbacks.every((c) => callsFor(c.data.id).some((call) => call.answer === 200)), {
        timeoutMs: 15_000,
      });
      const lastDelivery = Math.max(
        ...ours()
          .filter((c) => c.answer === 200)
          .map((c) => c.at),
      );
      // Within one backoff ceiling (1 s here) of CometChat's return, plus the time to send them.
      expect(lastDelivery - recoveredAt).toBeLessThan(1000 + 2000);
      for (const callback of callbacks) {
        expect(callsFor(callback.data.id).filter((c) => c.answer === 200)).toHaveLength(1);
        expect(await (await app.queue('replies').getJob(`reply-${callback.data.id}-0`))!.getState()).toBe('completed');
      }
      expect(await app.queue('replies').getFailedCount()).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('sends one probe at a time across processes sharing the Redis, not one per process', async () => {
    const settings = {
      COMETCHAT_API_URL: cometchat.url,
      RETRY_BACKOFF_MS: '100',
      RETRY_BACKOFF_MAX_MS: '600',
      REPLIES_CONCURRENCY: '4',
    };
    const first = await TestApp.start('outage-shared-probe', settings);
    const second = await TestApp.start('outage-shared-probe', { ...settings, QUEUE_PREFIX: first.prefix });
    try {
      const callbacks = fromSenders('probe', 16);
      const ours = () => callbacks.flatMap((c) => callsFor(c.data.id)).sort((a, b) => a.at - b.at);
      // Each failing call takes 300 ms: two probes at once would overlap in time.
      const callMs = 300;
      cometchat.startOutage({ status: 503, delayMs: callMs });
      const outageStart = Date.now();
      for (const callback of callbacks) expect((await first.post(callback)).json()).toMatchObject({ status: 'accepted' });
      await waitFor('seven seconds of outage', () => Date.now() - outageStart >= 7000, { timeoutMs: 10_000 });

      // Once both breakers are open (the first seconds: each process needs its own failures in a row), every
      // window ends in one probe for the two processes: no call starts while another is still in flight.
      const probes = ours().filter((c) => c.at - outageStart >= 3000);
      expect(probes.length).toBeGreaterThanOrEqual(3);
      const gaps = probes.slice(1).map((call, n) => call.at - probes[n].at);
      expect(gaps.filter((gap) => gap < callMs)).toEqual([]);

      cometchat.recover();
      await waitFor('every reply delivered', () => callbacks.every((c) => callsFor(c.data.id).some((call) => call.answer === 200)), {
        timeoutMs: 15_000,
      });
      for (const callback of callbacks) expect(callsFor(callback.data.id).filter((c) => c.answer === 200)).toHaveLength(1);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('keeps a reply failing past REPLIES_RETRY_BUDGET_MS in the failed set, with the reason, for replay', async () => {
    const app = await TestApp.start('outage-budget', {
      COMETCHAT_API_URL: cometchat.url,
      RETRY_BACKOFF_MS: '100',
      RETRY_BACKOFF_MAX_MS: '300',
      REPLIES_RETRY_BUDGET_MS: '1500',
    });
    try {
      const [callback] = fromSenders('budget', 1);
      cometchat.startOutage({ status: 502 });
      await app.post(callback);
      const reply = () => app.queue('replies').getJob(`reply-${callback.data.id}-0`);
      await waitFor('the reply to fail', async () => (await (await reply())?.getState()) === 'failed', { timeoutMs: 10_000 });

      const job = (await reply())!;
      expect(job.failedReason).toMatch(/past the retry budget/);
      expect(job.failedReason).toContain('502');
      const calls = callsFor(callback.data.id);
      expect(calls[calls.length - 1].at - calls[0].at).toBeGreaterThanOrEqual(1000); // tried for the budget, not a count

      // CometChat back: a replay goes out once.
      cometchat.recover();
      await job.retry('failed');
      await waitFor('the replayed reply', async () => (await (await reply())!.getState()) === 'completed');
      expect(callsFor(callback.data.id).filter((c) => c.answer === 200)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
