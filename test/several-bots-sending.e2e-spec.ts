import { FakeCometChat, RecordedCall } from './support/fake-cometchat';
import { basicAuthOf, botCallback, writeBotsFile, NO_SINGLE_BOT } from './support/several-bots';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const SECRETS = {
  MAIN_API_KEY: 'e2e-main-api-key-sending',
  OTHER_API_KEY: 'e2e-other-api-key-sending',
  WEBHOOK_PASSWORD_ALL: 'e2e-bots-password-sending',
};
const AUTH = basicAuthOf('cometchat', SECRETS.WEBHOOK_PASSWORD_ALL);
const SEND = (uid: string) => `/v3/bots/${uid}/messages`;

/**
 * Each bot's sends are its own, at the shipped defaults (no timing shortened): a 429 for one bot pauses that bot only,
 * an app whose quota is spent pauses its bots only, an outage of one app holds no other app's replies, and a bot's
 * sendsPerMinute caps it across the deployment.
 */
describe('several bots: each bot sends on its own', () => {
  let main: FakeCometChat;
  let other: FakeCometChat;
  let file: ReturnType<typeof writeBotsFile>;
  let app: TestApp;

  beforeAll(async () => {
    main = await new FakeCometChat().start();
    other = await new FakeCometChat().start();
    const bot = (uid: string, appName: string, extra = '') =>
      `  - { uid: ${uid}, app: ${appName}, webhook: { username: cometchat, password: "\${WEBHOOK_PASSWORD_ALL}" }${extra} }\n`;
    file = writeBotsFile(
      `apps:
  main: { appId: "e2e-main", region: us, apiKey: "\${MAIN_API_KEY}", apiUrl: "${main.url}" }
  other: { appId: "e2e-other", region: eu, apiKey: "\${OTHER_API_KEY}", apiUrl: "${other.url}" }
bots:
` +
        bot('noisy-bot', 'main') +
        bot('quiet-bot', 'main') +
        bot('capped-bot', 'main', ', sendsPerMinute: 3') +
        bot('spender-bot', 'main') +
        bot('far-bot', 'other'),
    );
    app = await TestApp.start('several-bots-sending', { ...NO_SINGLE_BOT, ...SECRETS, BOTS_FILE: file.path });
  });
  afterAll(async () => {
    await app?.close();
    await main?.stop();
    await other?.stop();
    file?.remove();
  });

  const post = (body: unknown) =>
    app.app.inject({
      method: 'POST',
      url: '/webhooks/cometchat',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const callsTo = (fake: FakeCometChat, uid: string) => fake.calls.filter((call) => call.method === 'POST' && call.path === SEND(uid));
  const delivered = (calls: RecordedCall[]) => calls.filter((call) => call.answer === 200);
  /** Posts one message from each of `n` users to the bot (one conversation each), all accepted. */
  async function messagesTo(uid: string, n: number, from = uid): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const callback = botCallback(uid, `hello ${i}`, { sender: `${from}-user-${i}` });
      expect((await post(callback)).json()).toMatchObject({ status: 'accepted' });
      ids.push(callback.data.id);
    }
    return ids;
  }

  it('goes on answering for one bot while another is answered 429 + Retry-After: 30 on every send, which costs at most one call a window', async () => {
    main.answerPath(SEND('noisy-bot'), { status: 429, headers: { 'retry-after': '30' } });
    try {
      await messagesTo('noisy-bot', 5);
      await waitFor('the noisy bot is refused once', () => callsTo(main, 'noisy-bot').length > 0);
      const started = Date.now();
      await messagesTo('quiet-bot', 10);
      await waitFor('the quiet bot answers all 10', () => delivered(callsTo(main, 'quiet-bot')).length >= 10, { timeoutMs: 5000 });
      expect(Date.now() - started).toBeLessThan(5000);

      // The sends already on their way when the first 429 came back are the first window's; after them, two windows of
      // 30 s: the noisy bot probes once a window, never more.
      const first = callsTo(main, 'noisy-bot')[0].at;
      const probes = () => callsTo(main, 'noisy-bot').filter((call) => call.at > first + 1000);
      await waitFor('the noisy bot probes in two more windows', () => probes().length >= 2, { timeoutMs: 75_000 });
      const times = [first, ...probes().map((call) => call.at)];
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(29_000);
    } finally {
      main.answerPath(SEND('noisy-bot'), undefined);
    }
    // Once CometChat takes its sends again, the next window's probe goes through and the rest follow: every one of the
    // noisy bot's replies goes, once, within two windows.
    await waitFor('the noisy bot answers all 5', () => delivered(callsTo(main, 'noisy-bot')).length >= 5, { timeoutMs: 75_000 });
    await app.drained(45_000);
    const muids = delivered(callsTo(main, 'noisy-bot')).map((call) => call.body.muid as string);
    expect(new Set(muids).size).toBe(5);
    expect(delivered(callsTo(main, 'quiet-bot'))).toHaveLength(10);
  }, 240_000);

  it("pauses every bot of an app whose quota is spent, and no other app's", async () => {
    main.answerNext({ status: 429, headers: { 'retry-after': '3', 'x-rate-limit-remaining': '0' } });
    await messagesTo('spender-bot', 1, 'quota');
    await waitFor('the app says its quota is spent', () => callsTo(main, 'spender-bot').some((call) => call.answer === 429));
    const spentAt = callsTo(main, 'spender-bot').find((call) => call.answer === 429)!.at;
    // Its reply waits out the pause once the policy has paused the app (the pause comes first).
    await waitFor('the refused reply waits', async () =>
      (await app.queue('replies').getJobs(['delayed'])).some((job) => job.data.target.bot === 'spender-bot'),
    );
    await messagesTo('quiet-bot', 1, 'quota');
    await messagesTo('far-bot', 1, 'quota');

    await waitFor('the other app answers at once', () => delivered(callsTo(other, 'far-bot')).length >= 1, { timeoutMs: 2000 });
    const [quiet] = await waitFor('the same app waits out the quota', () => {
      const calls = callsTo(main, 'quiet-bot').filter((call) => call.at > spentAt);
      return calls.length > 0 && calls;
    });
    expect(quiet.at - spentAt).toBeGreaterThanOrEqual(2500);
    await app.drained(30_000);
  }, 60_000);

  it("holds no other app's replies while one app is down", async () => {
    main.startOutage({ status: 503 });
    try {
      const before = delivered(callsTo(other, 'far-bot')).length;
      await messagesTo('quiet-bot', 3, 'outage');
      await waitFor('the app that is down is tried', () => callsTo(main, 'quiet-bot').some((call) => call.answer === 503));
      await messagesTo('far-bot', 3, 'outage');
      await waitFor('the other app answers all 3', () => delivered(callsTo(other, 'far-bot')).length >= before + 3, { timeoutMs: 5000 });
    } finally {
      main.recover();
    }
    await app.drained(60_000);
  }, 90_000);

  it('caps a bot at its sendsPerMinute across the deployment; the rest wait for the next minute', async () => {
    await messagesTo('capped-bot', 5, 'cap');
    await waitFor('three sends go', () => delivered(callsTo(main, 'capped-bot')).length >= 3);
    const waiting = await waitFor('two wait for the next minute', async () => {
      const jobs = await app.queue('replies').getJobs(['delayed']);
      const held = jobs.filter((job) => job.data.target.bot === 'capped-bot');
      return held.length === 2 && held;
    });
    // Held for the rest of the minute, not retried sooner (a call each would cost a 429 at CometChat).
    for (const job of waiting) expect(job.processedOn! + job.delay).toBeGreaterThan(Date.now() + 40_000);
    expect(callsTo(main, 'capped-bot')).toHaveLength(3);
  });
});
