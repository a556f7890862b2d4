import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { TestApp, uniquePrefix } from './support/test-app';
import { waitFor } from './support/wait-for';

const RETRY_AFTER_S = 30;
const STORM_MS = 120_000;

/**
 * A 429 storm at the shipped defaults (no timing variable set), two apps sharing one Redis as two processes would:
 * CometChat answers every call 429 + `Retry-After: 30` for two minutes.
 */
describe('a CometChat 429 storm at the defaults', () => {
  let cometchat: FakeCometChat;
  let apps: TestApp[] = [];

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await cometchat.stop();
  });

  it(
    'costs one call per window across both processes, then drains at once when CometChat takes sends again',
    async () => {
      const QUEUE_PREFIX = uniquePrefix('storm');
      apps = [
        await TestApp.start('storm-a', { COMETCHAT_API_URL: cometchat.url, QUEUE_PREFIX }),
        await TestApp.start('storm-b', { COMETCHAT_API_URL: cometchat.url, QUEUE_PREFIX }),
      ];
      // Five senders, four messages each: 20 replies in five conversations.
      const callbacks = Array.from({ length: 20 }, (_, n) => {
        const callback = fixture('user-text');
        callback.data.sender = `storm-user-${n % 5}`;
        return callback;
      });
      const sends = () => cometchat.calls.filter((c) => c.method === 'POST' && c.body.muid?.startsWith('reply-'));

      cometchat.startOutage({ status: 429, headers: { 'retry-after': String(RETRY_AFTER_S) } });
      // The storm meets the first reply; the rest arrive while CometChat asks to wait, half through each process.
      expect((await apps[0].post(callbacks[0])).json()).toMatchObject({ status: 'accepted' });
      const [first] = await waitFor('the first 429', () => sends().length === 1 && sends());
      const stormEnds = first.at + STORM_MS;
      for (const [n, callback] of callbacks.slice(1).entries()) {
        expect((await apps[n % 2].post(callback)).json()).toMatchObject({ status: 'accepted' });
      }

      await waitFor('the storm to pass', () => Date.now() >= stormEnds, { timeoutMs: STORM_MS + 5000, intervalMs: 1000 });
      cometchat.recover();
      const duringStorm = sends().filter((c) => c.at < stormEnds);
      // One call a window: the first, and one probe at each of 30, 60 and 90 s (and maybe one at 120 s).
      expect(duringStorm.length).toBeLessThanOrEqual(STORM_MS / (RETRY_AFTER_S * 1000) + 2);
      // Never two calls in one window.
      duringStorm.slice(1).forEach((call, n) => expect(call.at - duringStorm[n].at).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 1000));

      const delivered = () => sends().filter((c) => c.answer === 200);
      await waitFor('every reply', () => callbacks.every((c) => delivered().some((call) => call.body.muid === `reply-${c.data.id}-0`)), {
        timeoutMs: RETRY_AFTER_S * 1000 + 15_000,
        intervalMs: 500,
      });
      // Once a probe goes through, the backlog goes at once, not one per window.
      const firstThrough = delivered()[0].at;
      expect(Math.max(...delivered().map((c) => c.at)) - firstThrough).toBeLessThan(5000);
      for (const callback of callbacks) {
        expect(delivered().filter((call) => call.body.muid === `reply-${callback.data.id}-0`)).toHaveLength(1);
      }
      process.stdout.write(
        `429 storm: ${duringStorm.length} calls in ${STORM_MS / 1000} s; backlog of ${callbacks.length} sent within ${Math.max(...delivered().map((c) => c.at)) - firstThrough} ms of the first one through\n`,
      );
    },
    STORM_MS + 90_000,
  );
});
