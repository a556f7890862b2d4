import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { botConfig, BotConfig, botsConfig, BotsConfig, queueConfig, QueueConfig } from '../src/config/app.config';
import { botsOf } from '../src/config/bots-file';
import { validateEnv } from '../src/config/env.validation';
import { freePort, ServiceProcess } from './support/service-process';
import { deleteKeys, REDIS_URL, TestApp, uniquePrefix } from './support/test-app';

/** The configuration is validated once and handed to the app: never re-read from the process environment. */
describe('configuration', () => {
  const apps: TestApp[] = [];
  const saved = { ...process.env };
  afterAll(async () => {
    process.env = saved;
    await Promise.all(apps.map((app) => app.close()));
  });

  it('keeps each app to its own settings, whatever the process environment says', async () => {
    process.env.BOT_UID = 'from-the-process';
    process.env.REPLIES_CONCURRENCY = 'not a number'; // would fail a boot that re-read process.env
    const first = await TestApp.start('config-first', { BOT_UID: 'first-bot', REPLIES_CONCURRENCY: '3' });
    apps.push(first);
    const second = await TestApp.start('config-second', { BOT_UID: 'second-bot' });
    apps.push(second);

    expect(first.app.get<BotConfig>(botConfig.KEY).uid).toBe('first-bot');
    expect(first.app.get<QueueConfig>(queueConfig.KEY).repliesConcurrency).toBe(3);
    expect(second.app.get<BotConfig>(botConfig.KEY).uid).toBe('second-bot');
    expect(second.app.get<QueueConfig>(queueConfig.KEY).repliesConcurrency).toBe(10);
  });
});

/** BOTS_FILE: read and checked at boot, its bots one typed list for the app. */
describe('several bots (BOTS_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-e2e-bots-'));
  const apps: TestApp[] = [];
  const processes: ServiceProcess[] = [];
  const prefixes: string[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    for (const service of processes) {
      service.kill('SIGKILL');
      await service.exited();
    }
    for (const prefix of prefixes) await deleteKeys(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The secrets the file reads from the environment: never in a message. */
  const SECRETS = {
    MAIN_API_KEY: 'e2e-main-api-key-7c41',
    STAGING_API_KEY: 'e2e-staging-api-key-93fa',
    SUPPORT_WEBHOOK_PASSWORD: 'e2e-support-password-d2b8',
    SALES_WEBHOOK_PASSWORD: 'e2e-sales-password-61e0',
  };
  /** testEnv's single-bot variables, unset (an empty variable is unset): with BOTS_FILE they are the file's. */
  const NO_SINGLE_BOT = {
    BOT_UID: '',
    WEBHOOK_USERNAME: '',
    WEBHOOK_PASSWORD: '',
    COMETCHAT_APP_ID: '',
    COMETCHAT_REGION: '',
    COMETCHAT_API_KEY: '',
    COMETCHAT_API_URL: '',
  };

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const bots = (salesResponders = '[echo, help]') => `
apps:
  main: { appId: "e2e-main", region: us, apiKey: "\${MAIN_API_KEY}", apiUrl: "http://127.0.0.1:9/v3" }
  staging: { appId: "e2e-staging", region: eu, apiKey: "\${STAGING_API_KEY}", apiUrl: "http://127.0.0.1:9/staging/v3" }
bots:
  - uid: Support-Bot
    app: main
    webhook: { username: cometchat, password: "\${SUPPORT_WEBHOOK_PASSWORD}" }
  - uid: sales-bot
    app: main
    webhook: { username: cometchat, password: "\${SALES_WEBHOOK_PASSWORD}" }
    responders: ${salesResponders}
    sendsPerMinute: 30
  - uid: ops-bot
    app: staging
    webhook: { username: ops, password: "e2e-ops-password" }
    groupChatSetting: allMessages
`;

  /** The sales bot alone, in the main app. */
  const oneBot = (responders: string) => `
apps:
  main: { appId: "e2e-main", region: us, apiKey: "\${MAIN_API_KEY}", apiUrl: "http://127.0.0.1:9/v3" }
bots:
  - uid: sales-bot
    app: main
    webhook: { username: cometchat, password: "\${SALES_WEBHOOK_PASSWORD}" }
    responders: ${responders}
`;
  /** A one-to-one text callback for `bot`. */
  const callbackFor = (bot: string) => ({
    trigger: 'after_message',
    bot,
    data: {
      id: String(Date.now()),
      sender: 'config-user',
      receiver: bot,
      receiverType: 'user',
      category: 'message',
      type: 'text',
      data: { text: 'hi' },
    },
  });

  it('reads a file of two bots in one app and one in a second app into one list of the three', () => {
    const path = write('bots.yaml', bots());
    const env = validateEnv({ ...SECRETS, BOTS_FILE: path, GROUP_CHAT_SETTING: 'slashedMessages', QUEUE_PREFIX: 'config-bots' });

    const main = { name: 'main', appId: 'e2e-main', region: 'us', apiKey: SECRETS.MAIN_API_KEY, apiUrl: 'http://127.0.0.1:9/v3' };
    expect(botsOf(env)).toEqual([
      {
        uid: 'support-bot',
        app: main,
        webhook: { username: 'cometchat', password: SECRETS.SUPPORT_WEBHOOK_PASSWORD },
        groupChatSetting: 'slashedMessages',
      },
      {
        uid: 'sales-bot',
        app: main,
        webhook: { username: 'cometchat', password: SECRETS.SALES_WEBHOOK_PASSWORD },
        groupChatSetting: 'slashedMessages',
        responders: ['echo', 'help'],
        sendsPerMinute: 30,
      },
      {
        uid: 'ops-bot',
        app: { name: 'staging', appId: 'e2e-staging', region: 'eu', apiKey: SECRETS.STAGING_API_KEY, apiUrl: 'http://127.0.0.1:9/staging/v3' },
        webhook: { username: 'ops', password: 'e2e-ops-password' },
        groupChatSetting: 'allMessages',
      },
    ]);
  });

  it('serves the bot of a one-bot file as itself: its uid, credentials and app', async () => {
    const path = write('one-bot.yaml', oneBot('[echo, help]'));
    const app = await TestApp.start('config-bots', { ...NO_SINGLE_BOT, ...SECRETS, BOTS_FILE: path });
    apps.push(app);

    expect(app.app.get<BotsConfig>(botsConfig.KEY).bots.map((bot) => bot.uid)).toEqual(['sales-bot']);
    expect(app.app.get<BotConfig>(botConfig.KEY).uid).toBe('sales-bot');
    expect((await app.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    const auth = (password: string) => `Basic ${Buffer.from(`cometchat:${password}`).toString('base64')}`;
    const post = (password: string) =>
      app.app.inject({ method: 'POST', url: '/webhooks/cometchat', headers: { authorization: auth(password) }, payload: callbackFor('sales-bot') });
    expect((await post(SECRETS.SUPPORT_WEBHOOK_PASSWORD)).statusCode).toBe(401);
    expect((await post(SECRETS.SALES_WEBHOOK_PASSWORD)).json()).toMatchObject({ status: 'accepted' });
  });

  it('starts on a file of three bots in two apps, as operators run it, with no secret in its output', async () => {
    const service = await boot({ ...SECRETS, BOTS_FILE: write('three-bots.yaml', bots()), LOG_LEVEL: 'info' });

    await service.ready();
    const health = await fetch(`${service.url}/health/ready`);
    expect(health.status).toBe(200);
    for (const secret of Object.values(SECRETS)) expect(service.output).not.toContain(secret);
  });

  /** `node src/main.ts` as operators run it, with exactly this environment. */
  async function boot(env: Record<string, string>): Promise<ServiceProcess> {
    const prefix = uniquePrefix('config-bots');
    prefixes.push(prefix);
    const service = ServiceProcess.spawn({ PORT: String(await freePort()), REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'error', ...env });
    processes.push(service);
    return service;
  }

  it("does not start on a bad file: every problem in one list, with the environment's own, no secret and no stack", async () => {
    const path = write(
      'bad.yaml',
      bots()
        .replace('uid: sales-bot', 'uid: support-bot')
        .replace('app: staging', 'app: stagin')
        .replace('${SALES_WEBHOOK_PASSWORD}', '${SALES_PASSWORD}'),
    );
    const service = await boot({ ...SECRETS, BOTS_FILE: path, BOT_UID: 'ops-bot', EVENTS_CONCURRENCY: 'many' });

    expect(await service.exited()).toEqual({ code: 1, signal: null });
    expect(service.stderr).toBe(
      [
        'Invalid configuration:',
        '  - EVENTS_CONCURRENCY must be an integer number',
        '  - BOTS_FILE bots[1].webhook.password: ${SALES_PASSWORD} is not set',
        '  - BOTS_FILE bots[0].uid "Support-Bot" and bots[1].uid "support-bot" are one bot (CometChat lowercases uids): list each bot once',
        '  - BOTS_FILE bots[2].app: "stagin" is not an app of the file (apps: main, staging)',
        '  - BOT_UID: ops-bot is also bots[2] of BOTS_FILE; a bot is configured in one place: remove BOT_UID',
        '',
      ].join('\n'),
    );
    for (const secret of Object.values(SECRETS)) expect(service.output).not.toContain(secret);
  });

  it('does not start when a bot names a responder the service does not have, naming it and the bot', async () => {
    const path = write('unknown-responder.yaml', oneBot('[echo, pager]'));
    const service = await boot({ ...SECRETS, BOTS_FILE: path });

    expect(await service.exited()).toEqual({ code: 1, signal: null });
    expect(service.stderr).toContain(
      'Invalid configuration:\n  - BOTS_FILE bots[0] (sales-bot) names responders this service does not have: "pager" (it has: echo, help',
    );
    for (const secret of Object.values(SECRETS)) expect(service.output).not.toContain(secret);
  });
});
