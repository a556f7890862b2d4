import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { spawn } from 'node:child_process';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeCometChat } from './support/fake-cometchat';
import { FakeEventsRoute } from './support/fake-events-route';
import { FakeManagementApi } from './support/fake-management-api';
import { fixture } from './support/fixtures';
import { deleteKeys, REDIS_URL, testEnv, uniquePrefix } from './support/test-app';
import { waitFor } from './support/wait-for';

// Each CLI run is a fresh Node process compiling TypeScript through ts-node: seconds each on a busy machine.
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..');
const TS_NODE = require.resolve('ts-node/register/transpile-only');
const KEY_A = 'key-of-app-a';
const KEY_B = 'key-of-app-b';
const SUPPORT_PASSWORD = 'support-hook-password';
const SALES_PASSWORD = 'sales-hook-password';
const SECRETS = [KEY_A, KEY_B, SUPPORT_PASSWORD, SALES_PASSWORD];
const SERVICE = 'https://bot.example.com';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as an operator runs it: its own process, only the environment given here, a directory without .env. */
function cli(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', TS_NODE, join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Posted {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** A stand-in for the service's webhook: records each POST and accepts it. */
async function fakeService(): Promise<{ server: Server; url: string; port: number; posted: Posted[] }> {
  const posted: Posted[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(text);
      posted.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'accepted', id: body.data.id }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, port, posted };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the CLI with several bots (BOTS_FILE)', () => {
  const prefix = uniquePrefix('cli-bots');
  let appA: FakeCometChat;
  let appB: FakeCometChat;
  let service: Awaited<ReturnType<typeof fakeService>>;
  let management: FakeManagementApi;
  /** The events route at a "public" URL, with the first bot's credentials (EVENTS_WEBHOOK_* default to them). */
  let eventsRoute: FakeEventsRoute;
  let workDir: string;
  let botsEnv: Record<string, string>;
  /** Every output of every run, to prove no secret was ever printed. */
  const printed: string[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'cli-bots-e2e-'));
    appA = await new FakeCometChat().start();
    appA.botsApiKey = KEY_A;
    appB = await new FakeCometChat().start();
    appB.botsApiKey = KEY_B;
    service = await fakeService();
    management = await new FakeManagementApi().start();
    eventsRoute = await new FakeEventsRoute('support-hook', SUPPORT_PASSWORD).start();
    const file = join(workDir, 'bots.yaml');
    writeFileSync(
      file,
      `apps:
  a: { appId: app-a, region: us, apiKey: "\${KEY_A}", apiUrl: "${appA.url}" }
  b: { appId: app-b, region: eu, apiKey: "\${KEY_B}", apiUrl: "${appB.url}" }
bots:
  - uid: support-bot
    app: a
    webhook: { username: support-hook, password: "\${SUPPORT_PASSWORD}" }
  - uid: Sales-Bot
    app: b
    webhook: { username: sales-hook, password: "\${SALES_PASSWORD}" }
    groupChatSetting: allMessages
`,
    );
    botsEnv = { BOTS_FILE: file, KEY_A, KEY_B, SUPPORT_PASSWORD, SALES_PASSWORD, REDIS_URL, QUEUE_PREFIX: prefix, COMETCHAT_TIMEOUT_MS: '5000' };
  });
  afterAll(async () => {
    await appA.stop();
    await appB.stop();
    await new Promise((resolve) => service.server.close(resolve));
    await management.stop();
    await eventsRoute.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const run = async (args: string[], env: Record<string, string> = botsEnv) => {
    const result = await cli(args, env, workDir);
    printed.push(result.stdout, result.stderr);
    return result;
  };
  const botsCalls = (app: FakeCometChat) => app.calls.filter((c) => /^\/v3\/bots(\/[^/]+)?$/.test(c.path));

  describe('usage', () => {
    it('refuses an unknown --bot on every command with exit 2, naming the configured uids', async () => {
      const commands = [
        ['simulate', 'hi', '--url', service.url],
        ['register', '--url', SERVICE],
        ['doctor'],
        ['failed', 'list'],
        ['failed', 'retry', '--all'],
      ];
      const results = await Promise.all(commands.map((command) => run([...command, '--bot', 'nobody'])));
      results.forEach((result, n) => {
        expect({ command: commands[n], code: result.code }).toEqual({ command: commands[n], code: 2 });
        expect(result.stderr).toContain('--bot nobody: this deployment has no such bot (its bots: support-bot, sales-bot)');
        expect(result.stdout).not.toMatch(/^(ok|failed) /m); // doctor ran no check
      });
      expect(service.posted).toHaveLength(0);
      expect(botsCalls(appA)).toHaveLength(0);
      expect(botsCalls(appB)).toHaveLength(0);
    });

    it('requires --bot for simulate, and --bot or --all for register', async () => {
      const [simulate, register, both] = await Promise.all([
        run(['simulate', 'hi', '--url', service.url]),
        run(['register', '--url', SERVICE]),
        run(['register', '--url', SERVICE, '--all', '--bot', 'sales-bot']),
      ]);
      expect(simulate.code).toBe(2);
      expect(simulate.stderr).toContain('2 bots are configured (support-bot, sales-bot): pass --bot UID');
      expect(register.code).toBe(2);
      expect(register.stderr).toContain('pass --bot UID to act on one, or --all for every one');
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('give --bot UID or --all, not both');
      expect(service.posted).toHaveLength(0);
      expect(botsCalls(appA)).toHaveLength(0);
      expect(botsCalls(appB)).toHaveLength(0);
    });

    it('refuses an unknown --bot with one bot too, naming BOT_UID', async () => {
      const single = testEnv('cli-bots-single', { COMETCHAT_API_URL: appA.url });
      const result = await run(['register', '--url', `${SERVICE}/webhooks/cometchat`, '--bot', 'sales-bot'], single);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('(its bots: support-bot)');
      expect(botsCalls(appA)).toHaveLength(0);
    });
  });

  describe('register', () => {
    beforeEach(() => {
      appA.bots.clear();
      appB.bots.clear();
    });

    it('--all creates each bot in its own app, with its key, credentials, group setting and own path', async () => {
      const created = await run(['register', '--all', '--url', SERVICE]);
      expect(created.code).toBe(0);
      expect(created.stdout).toContain('created bot support-bot');
      expect(created.stdout).toContain('created bot sales-bot');
      expect(created.stdout).toContain(`webhookURL: ${SERVICE}/webhooks/cometchat/sales-bot`);

      expect([...appA.bots.keys()]).toEqual(['support-bot']);
      expect(appA.bots.get('support-bot')).toMatchObject({
        webhookURL: `${SERVICE}/webhooks/cometchat/support-bot`,
        groupChatSetting: 'mentionedMessages',
        useBasicAuth: true,
        username: 'support-hook',
        password: SUPPORT_PASSWORD,
        enabled: true,
      });
      expect([...appB.bots.keys()]).toEqual(['sales-bot']);
      expect(appB.bots.get('sales-bot')).toMatchObject({
        webhookURL: `${SERVICE}/webhooks/cometchat/sales-bot`,
        groupChatSetting: 'allMessages',
        username: 'sales-hook',
        password: SALES_PASSWORD,
        enabled: true,
      });
      expect(botsCalls(appA).every((c) => c.headers.apikey === KEY_A)).toBe(true);
      expect(botsCalls(appB).every((c) => c.headers.apikey === KEY_B)).toBe(true);

      // One app webhook an app, to the one events route, with the first bot's credentials (EVENTS_WEBHOOK_* unset).
      expect(created.stdout).toContain('app webhook to set up in app app-a');
      expect(created.stdout).toContain('app webhook to set up in app app-b');
      expect(created.stdout.split(`webhookURL: ${SERVICE}/webhooks/cometchat/events`)).toHaveLength(3);
      expect(created.stdout).toContain('username: support-hook');

      const again = await run(['register', '--all', '--url', `${SERVICE}/webhooks/cometchat`]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('bot support-bot is up to date in CometChat: no changes');
      expect(again.stdout).toContain('bot sales-bot is up to date in CometChat: no changes');
    });

    it('--all with the Management API creates one app webhook in each app, then changes nothing', async () => {
      const env = {
        ...botsEnv,
        COMETCHAT_MANAGEMENT_KEY: management.key,
        COMETCHAT_MANAGEMENT_SECRET: management.secret,
        COMETCHAT_MANAGEMENT_API_URL: management.url,
      };
      const created = await run(['register', '--all', '--url', SERVICE], env);
      expect(created.code).toBe(0);
      expect(created.stdout).toContain('created app webhook bot_service_events in app app-a');
      expect(created.stdout).toContain('created app webhook bot_service_events in app app-b');
      for (const appId of ['app-a', 'app-b']) {
        expect([...management.webhooksOf(appId).values()]).toEqual([
          expect.objectContaining({
            id: 'bot_service_events',
            webhookURL: `${SERVICE}/webhooks/cometchat/events`,
            useBasicAuth: true,
            username: 'support-hook',
            password: SUPPORT_PASSWORD,
            enabled: true,
            retryOnFailure: true,
            triggers: ['message_edited', 'message_deleted', 'message_reaction_added', 'message_reaction_removed'],
          }),
        ]);
      }
      const writes = management.writes().length;
      const again = await run(['register', '--all', '--url', SERVICE], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('app webhook bot_service_events of app app-a is up to date: no changes');
      expect(again.stdout).toContain('app webhook bot_service_events of app app-b is up to date: no changes');
      expect(management.writes()).toHaveLength(writes);
    });

    it('--bot (in any case) registers that bot alone', async () => {
      const callsToA = botsCalls(appA).length;
      const result = await run(['register', '--bot', 'SALES-BOT', '--url', SERVICE]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('created bot sales-bot');
      expect(result.stdout).not.toContain('support-bot');
      expect(appA.bots.size).toBe(0);
      expect(appB.bots.get('sales-bot')?.webhookURL).toBe(`${SERVICE}/webhooks/cometchat/sales-bot`);
      expect(botsCalls(appA)).toHaveLength(callsToA);
    });
  });

  describe('doctor', () => {
    // Each bot as `register --all --url <public URL>` leaves it; the public URL is where the events route answers.
    beforeEach(() => {
      const registered = (uid: string, username: string, password: string, groupChatSetting: string) => ({
        uid,
        webhookURL: `${eventsRoute.url}/webhooks/cometchat/${uid}`,
        groupChatSetting,
        useBasicAuth: true,
        username,
        password,
        enabled: true,
        createdAt: Math.floor(Date.now() / 1000),
      });
      appA.bots.clear();
      appB.bots.clear();
      appA.bots.set('support-bot', registered('support-bot', 'support-hook', SUPPORT_PASSWORD, 'mentionedMessages'));
      appB.bots.set('sales-bot', registered('sales-bot', 'sales-hook', SALES_PASSWORD, 'allMessages'));
    });

    const checks = ['cometchat', 'bot exists', 'bot enabled', 'webhook URL', 'group setting', 'basic auth'];

    it('checks every bot in its own app against its own settings, each line naming the bot', async () => {
      const result = await run(['doctor', '--url', eventsRoute.url]);
      expect(result.code).toBe(0);
      for (const uid of ['support-bot', 'sales-bot']) {
        for (const check of checks) expect(result.stdout).toMatch(new RegExp(`^ok {6}\\[${uid}\\] ${check}: `, 'm'));
      }
      expect(result.stdout).toContain(`[support-bot] cometchat: credentials accepted by ${appA.url}`);
      expect(result.stdout).toContain(`[sales-bot] cometchat: credentials accepted by ${appB.url}`);
      expect(result.stdout).toContain(`[sales-bot] webhook URL: ${eventsRoute.url}/webhooks/cometchat/sales-bot`);
      // One events route for the whole service, with the first bot's app in the envelope.
      expect(result.stdout).toMatch(/^ok {6}events route: .* answered 200 ignored .* with username support-hook$/m);
      expect(eventsRoute.requests.at(-1)?.body).toMatchObject({ trigger: 'message_delivery_receipt', appId: 'app-a', region: 'us' });
      expect(result.stdout).toContain('[sales-bot] group setting: allMessages');
      expect(result.stdout).toContain('[sales-bot] basic auth: on, username sales-hook, password matches');
      expect(result.stdout).not.toMatch(/^failed/m);
    });

    it('fails the bot that differs, and --bot limits the checks to one bot', async () => {
      Object.assign(appB.bots.get('sales-bot')!, { enabled: false, password: 'dashboard-password' });
      const all = await run(['doctor']);
      expect(all.code).toBe(1);
      expect(all.stdout).toMatch(/^failed {2}\[sales-bot\] bot enabled: the bot is disabled/m);
      expect(all.stdout).toMatch(/^ {8}fix: run `register --bot sales-bot --url https:\/\/<host>` \(sets enabled: true\)/m);
      expect(all.stdout).toMatch(/^failed {2}\[sales-bot\] basic auth: password differs from the bot's webhook password in BOTS_FILE \(not shown\)/m);
      expect(all.stdout).toMatch(/^ok {6}\[support-bot\] basic auth: /m);

      const callsToB = botsCalls(appB).length;
      const one = await run(['doctor', '--bot', 'Support-Bot']);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/^ok {6}\[support-bot\] bot enabled: enabled$/m);
      expect(one.stdout).not.toContain('sales-bot');
      expect(botsCalls(appB)).toHaveLength(callsToB);
      expect(all.stdout + all.stderr + one.stdout + one.stderr).not.toContain('dashboard-password');
    });
  });

  describe('simulate', () => {
    it("--bot posts that bot's callback to its own path with its webhook credentials", async () => {
      const result = await run(['simulate', 'hello sales', '--bot', 'Sales-Bot', '--url', service.url]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`POST ${service.url}/webhooks/cometchat/sales-bot: message`);
      expect(result.stdout).toContain('from cli-user to sales-bot: "hello sales"');
      const post = service.posted.at(-1)!;
      expect(post.path).toBe('/webhooks/cometchat/sales-bot');
      expect(post.headers.authorization).toBe(basic('sales-hook', SALES_PASSWORD));
      expect(post.body).toMatchObject({
        bot: 'sales-bot',
        appId: 'app-b',
        region: 'eu',
        data: { receiver: 'sales-bot', data: { text: 'hello sales' } },
      });
    });

    it('posts to the local service at PORT without --url, and a fixture as the chosen bot', async () => {
      const env = { ...botsEnv, PORT: String(service.port) };
      const local = await run(['simulate', 'hello support', '--bot', 'support-bot'], env);
      expect(local.code).toBe(0);
      const post = service.posted.at(-1)!;
      expect(post.path).toBe('/webhooks/cometchat/support-bot');
      expect(post.headers.authorization).toBe(basic('support-hook', SUPPORT_PASSWORD));
      expect(post.body).toMatchObject({ bot: 'support-bot', appId: 'app-a' });

      const fromFixture = await run(['simulate', '--fixture', join(ROOT, 'test', 'fixtures', 'user-text.json'), '--bot', 'sales-bot'], env);
      expect(fromFixture.code).toBe(0);
      expect(service.posted.at(-1)).toMatchObject({ path: '/webhooks/cometchat/sales-bot', body: { bot: 'sales-bot' } });
    });
  });

  describe('failed', () => {
    const connection = { url: REDIS_URL };
    let events: Queue;
    let replies: Queue;

    async function failAll(queue: Queue, count: number) {
      const worker = new Worker(
        queue.name,
        async () => {
          throw new UnrecoverableError('down');
        },
        { connection: { ...connection, maxRetriesPerRequest: null }, prefix },
      );
      try {
        await waitFor(`${count} failed ${queue.name}`, async () => (await queue.getFailedCount()) >= count);
      } finally {
        await worker.close();
      }
    }

    const event = (id: string, bot: string) => {
      const callback = fixture('user-text');
      callback.data.id = id;
      callback.bot = bot;
      return callback;
    };
    const reply = (eventId: string, bot: string) => ({
      eventId,
      index: 0,
      target: { type: 'user', id: 'cometchat-uid-1', bot },
      reply: { category: 'message', type: 'text', data: { text: `answer ${eventId}` } },
      muid: `reply-${eventId}-0`,
    });

    beforeAll(async () => {
      events = new Queue('events', { connection, prefix });
      replies = new Queue('replies', { connection, prefix });
      await events.add('bot-event', event('2001', 'support-bot'), { jobId: 'evt-2001-support' });
      await events.add('bot-event', event('2002', 'Sales-Bot'), { jobId: 'evt-2002-sales' });
      await failAll(events, 2);
      await replies.add('bot-reply', reply('2001', 'support-bot'), { jobId: 'reply-2001-0' });
      await replies.add('bot-reply', reply('2002', 'sales-bot'), { jobId: 'reply-2002-0' });
      await failAll(replies, 2);
    });
    afterAll(async () => {
      await events.close();
      await replies.close();
      await deleteKeys(prefix);
    });

    it("lists only --bot's jobs: an event's callback bot, a reply's target.bot", async () => {
      const json = await run(['failed', 'list', '--bot', 'sales-bot', '--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout).map((job: { id: string }) => job.id)).toEqual(['evt-2002-sales', 'reply-2002-0']);

      const text = await run(['failed', 'list', '--bot', 'SUPPORT-BOT']);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('events: 1 failed for bot support-bot');
      expect(text.stdout).toContain('replies: 1 failed for bot support-bot');
      expect(text.stdout).toContain('evt-2001-support');
      expect(text.stdout).not.toContain('2002');

      // With one bot every job is the bot's, whatever its data says.
      const single = await run(['failed', 'list', '--bot', 'support-bot', '--json'], { BOT_UID: 'support-bot', REDIS_URL, QUEUE_PREFIX: prefix });
      expect(single.code).toBe(0);
      expect(JSON.parse(single.stdout)).toHaveLength(4);
    });

    it("acts only on --bot's jobs, and refuses another bot's job by id", async () => {
      const other = await run(['failed', 'retry', 'evt-2001-support', '--bot', 'sales-bot']);
      expect(other.code).toBe(1);
      expect(other.stderr).toContain("job evt-2001-support in events is not bot sales-bot's");
      expect(await (await Job.fromId(events, 'evt-2001-support'))!.getState()).toBe('failed');

      const discarded = await run(['failed', 'discard', '--all', '--bot', 'sales-bot']);
      expect(discarded.code).toBe(0);
      expect(discarded.stdout).toContain('discarded 1 failed events job of bot sales-bot');
      expect(discarded.stdout).toContain('discarded 1 failed replies job of bot sales-bot');
      expect(await events.getFailed()).toEqual([expect.objectContaining({ id: 'evt-2001-support' })]);
      expect(await replies.getFailed()).toEqual([expect.objectContaining({ id: 'reply-2001-0' })]);
    });
  });

  it('never printed a password or an API key', () => {
    expect(printed.length).toBeGreaterThan(0);
    for (const output of printed) for (const secret of [...SECRETS, 'dashboard-password', management.secret]) expect(output).not.toContain(secret);
  });
});
