import { Logger } from '@nestjs/common';
import { FakeCometChat } from '../../test/support/fake-cometchat';
import type { BotDefinition } from '../config/bots-file';
import { ServedBots } from '../config/served-bots';
import { AppCredentialsCheck, RECHECK_FIRST_MS } from './app-credentials.check';

const KEY = 'unit-key-Jq83mZ1';

/** `apiKey` null: an app without a key, as in sandbox mode. */
const bot = (uid: string, app: string, apiUrl: string, apiKey: string | null = KEY): BotDefinition => ({
  uid,
  app: { name: app, appId: app, region: 'us', apiUrl, ...(apiKey === null ? {} : { apiKey }) },
  webhook: { username: 'u', password: 'p' },
  groupChatSetting: 'mentionedMessages',
});

/** How many times the check has found CometChat not answering (and so will ask again). */
const unanswered = (warn: jest.SpyInstance) => warn.mock.calls.filter(([line]) => line?.msg === 'app credentials unconfirmed').length;

/** Lets the check's HTTP calls and their callbacks run (setImmediate yields to I/O, even under fake timers). */
const settle = async (done: () => boolean) => {
  for (let turn = 0; turn < 2000 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
};

describe('AppCredentialsCheck', () => {
  let main: FakeCometChat;
  let staging: FakeCometChat;
  let check: AppCredentialsCheck | undefined;
  let warn: jest.SpyInstance;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));
  beforeEach(async () => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    main = await new FakeCometChat().start();
    staging = await new FakeCometChat().start();
  });
  afterEach(async () => {
    check?.onApplicationShutdown();
    jest.useRealTimers();
    jest.restoreAllMocks();
    await main.stop();
    await staging.stop();
  });

  const start = (...bots: BotDefinition[]) => {
    check = new AppCredentialsCheck(new ServedBots({ bots }), { timeoutMs: 2000 });
    check.onApplicationBootstrap();
    return check;
  };

  it("names a bot whose app refuses its key, with why and without the key; the others' keys are taken", async () => {
    staging.botsApiKey = 'another-key';
    main.bots.set('support-bot', {
      uid: 'support-bot',
      webhookURL: 'https://x',
      groupChatSetting: 'none',
      useBasicAuth: false,
      enabled: true,
      createdAt: 1,
    });
    // sales-bot is no bot of its app (not registered): its key was still taken.
    const check = start(bot('support-bot', 'main', main.url), bot('sales-bot', 'main', main.url), bot('ops-bot', 'staging', staging.url));

    await settle(() => check.unconfirmed().length === 0);
    expect(check.refused()).toEqual([
      { bot: 'ops-bot', reason: 'app staging refused its API key (CometChat answered 401 AUTH_ERR_APIKEY_NOT_FOUND)' },
    ]);
    expect(JSON.stringify(check.refused())).not.toContain(KEY);
    // One GET /bots/{uid} per bot, each with its app's key.
    expect(main.calls.map((c) => [c.method, c.path, c.headers.apikey])).toEqual(
      expect.arrayContaining([
        ['GET', '/v3/bots/support-bot', KEY],
        ['GET', '/v3/bots/sales-bot', KEY],
      ]),
    );
    expect(main.calls).toHaveLength(2);
    expect(staging.calls).toHaveLength(1);
  });

  it('names nothing while CometChat does not answer, asks again in the background, and finds a bad key once it answers', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await staging.refuse();
    staging.botsApiKey = 'another-key';
    const check = start(bot('ops-bot', 'staging', staging.url));

    // Refused connections: unconfirmed, not refused, and asked again after the first wait.
    expect(check.unconfirmed()).toEqual(['ops-bot']);
    await settle(() => unanswered(warn) === 1);
    expect(check.refused()).toEqual([]);
    expect(check.unconfirmed()).toEqual(['ops-bot']);

    await staging.accept();
    await jest.advanceTimersByTimeAsync(RECHECK_FIRST_MS);
    await settle(() => check.unconfirmed().length === 0);
    expect(check.refused()).toEqual([expect.objectContaining({ bot: 'ops-bot' })]);
    expect(unanswered(warn)).toBe(1);
  });

  it('asks nothing for a bot without an API key (sandbox), and stops asking at shutdown', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await main.refuse();
    const check = start(bot('support-bot', 'main', main.url), bot('ops-bot', 'staging', staging.url, null));
    expect(check.unconfirmed()).toEqual(['support-bot']);
    await settle(() => unanswered(warn) === 1);
    check.onApplicationShutdown();
    await main.accept();
    await jest.advanceTimersByTimeAsync(RECHECK_FIRST_MS * 2);
    expect(main.calls).toEqual([]);
    expect(staging.calls).toEqual([]);
  });
});
