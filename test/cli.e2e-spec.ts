import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mentionStripper, toBotEvent } from '../src/messages';
import { FakeCometChat } from './support/fake-cometchat';
import { FakeEventsRoute } from './support/fake-events-route';
import { FakeManagementApi } from './support/fake-management-api';
import { fixture } from './support/fixtures';
import { freePort } from './support/service-process';
import { deleteKeys, REDIS_URL, TestApp, uniquePrefix, WEBHOOK_PASSWORD } from './support/test-app';
import { waitFor } from './support/wait-for';

// Each CLI run is a fresh Node process compiling TypeScript through ts-node: seconds each on a busy machine.
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..');
const TS_NODE = require.resolve('ts-node/register/transpile-only');
const CALLBACK_URL = 'https://bot.example.com/webhooks/cometchat';
const EVENTS_URL = 'https://bot.example.com/webhooks/cometchat/events';
const EVENTS_PASSWORD = 'e2e-events-password';
const TRIGGERS = ['message_edited', 'message_deleted', 'message_reaction_added', 'message_reaction_removed'];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI as an operator runs it: its own process, only the environment given here (no inherited variables),
 * and a working directory with no .env unless a test writes one.
 */
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

describe('the CLI', () => {
  let cometchat: FakeCometChat;
  let management: FakeManagementApi;
  /** Answers like the service's events route, or not at all (`hang`): doctor's check of a URL that never answers. */
  let eventsRoute: FakeEventsRoute;
  let app: TestApp;
  let serviceUrl: string;
  let workDir: string;
  /** Every output of every run, to prove no secret was ever printed. */
  const printed: string[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'cli-e2e-'));
    cometchat = await new FakeCometChat().start();
    cometchat.botsApiKey = 'e2e-api-key';
    management = await new FakeManagementApi().start();
    eventsRoute = await new FakeEventsRoute('cometchat', WEBHOOK_PASSWORD).start();
    app = await TestApp.start('cli', { COMETCHAT_API_URL: cometchat.url, RETRY_BACKOFF_MS: '100' });
    // The CLI talks HTTP to the service: it needs a real port, not inject().
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    serviceUrl = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await cometchat.stop();
    await management.stop();
    await eventsRoute.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** The service's own configuration (BOT_UID, WEBHOOK_*, COMETCHAT_*, REDIS_URL, QUEUE_PREFIX), changed as asked. */
  const envOf = (overrides: Record<string, string | undefined> = {}): Record<string, string> =>
    Object.fromEntries(Object.entries({ ...app.env, ...overrides }).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const run = async (args: string[], overrides: Record<string, string | undefined> = {}, cwd = workDir) => {
    const result = await cli(args, envOf(overrides), cwd);
    printed.push(result.stdout, result.stderr);
    return result;
  };
  const botsCalls = () => cometchat.calls.filter((c) => /^\/v3\/bots(\/[^/]+)?$/.test(c.path));

  describe('usage', () => {
    it('prints --help for every command and subcommand, with the exit codes, and exits 0', async () => {
      const commands = [[], ['simulate'], ['register'], ['doctor'], ['failed'], ['failed', 'list'], ['failed', 'retry'], ['failed', 'discard']];
      const results = await Promise.all(commands.map((command) => run([...command, '--help'])));
      results.forEach((result, n) => {
        expect({ command: commands[n], code: result.code }).toEqual({ command: commands[n], code: 0 });
        expect(result.stdout).toContain(`Usage: cometchat-bot ${commands[n].join(' ')}`.trimEnd());
        expect(result.stdout).toContain('Exit codes:');
        expect(result.stdout).toMatch(/2 {2}usage or configuration error/);
      });
      expect(results[2].stdout).toContain('--allow-http');
      expect(results[3].stdout).toContain('--service <url>');
    });

    it('answers a usage error with exit 2 and says what is wrong', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['bogus'], /unknown command 'bogus'/],
        [['register'], /required option '--url <url>' not specified/],
        [['simulate', 'hi', '--repeat', '0'], /--repeat must be a whole number/],
        [['simulate'], /give the message text, or --fixture/],
        [['failed', 'retry'], /give a job id .* or --all/],
        [['failed', 'list', '--queue', 'nope'], /Allowed choices are events, replies, all/],
      ];
      const results = await Promise.all(cases.map(([args]) => run(args)));
      results.forEach((result, n) => {
        expect({ args: cases[n][0], code: result.code }).toEqual({ args: cases[n][0], code: 2 });
        expect(result.stderr).toMatch(cases[n][1]);
      });
    });
  });

  describe('configuration', () => {
    it('names every bad variable a command needs, exits 2 and calls nobody', async () => {
      const before = botsCalls().length;
      const result = await run(['register', '--url', CALLBACK_URL], { BOT_UID: undefined, COMETCHAT_REGION: 'mars' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('BOT_UID is required');
      expect(result.stderr).toContain('COMETCHAT_REGION must be one of: us, eu, in');
      expect(botsCalls()).toHaveLength(before);
    });

    it('demands only what a command uses: failed list needs REDIS_URL and QUEUE_PREFIX alone', async () => {
      const only = { REDIS_URL, QUEUE_PREFIX: app.prefix };
      const ok = await cli(['failed', 'list'], only, workDir);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('events: 0 failed');

      const bad = await cli(['failed', 'list'], { ...only, REDIS_URL: 'http://localhost:6379' }, workDir);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('REDIS_URL must be a redis:// or rediss:// URL');
      expect(bad.stderr).not.toContain('BOT_UID');
    });

    it('reads .env from the working directory, the environment winning', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cli-dotenv-'));
      try {
        writeFileSync(join(dir, '.env'), `REDIS_URL=not-a-redis-url\nQUEUE_PREFIX=${app.prefix}\n`);
        const fromFile = await cli(['failed', 'list'], {}, dir);
        expect(fromFile.code).toBe(2);
        expect(fromFile.stderr).toContain('REDIS_URL must be');

        const envWins = await cli(['failed', 'list'], { REDIS_URL }, dir);
        expect(envWins.code).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('says plainly that CometChat credentials are missing (as in sandbox mode)', async () => {
      const register = await run(['register', '--url', CALLBACK_URL], { COMETCHAT_API_KEY: undefined });
      expect(register.code).toBe(2);
      expect(register.stderr).toContain('CometChat credentials are missing: COMETCHAT_API_KEY is not set');

      const doctor = await run(['doctor'], { COMETCHAT_API_KEY: undefined, COMETCHAT_MODE: 'sandbox' });
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/^failed {2}mode: COMETCHAT_MODE=sandbox: the service sends replies to its local sandbox outbox/m);
      expect(doctor.stdout).toMatch(/^failed {2}cometchat: CometChat credentials are missing: COMETCHAT_API_KEY is not set$/m);
      expect(doctor.stdout).toMatch(/^skipped bot exists: needs CometChat credentials$/m);
    });
  });

  describe('simulate', () => {
    const eventJob = async (messageId: string) => (await app.jobs('events')).find((job) => job.data.data.id === messageId);
    // The callback the job holds, as the worker's responders see it.
    const eventOf = (job: Job | undefined) => job && toBotEvent(job.data, 'support-bot', mentionStripper('support-bot'));
    const echoed = (text: string) => cometchat.calls.some((c) => c.path === '/v3/bots/support-bot/messages' && c.body.data?.text === text);
    const messageIdIn = (stdout: string) => /message (\d+) from/.exec(stdout)![1];

    it("posts a one-to-one message with the service's Basic Auth: accepted, then duplicate with --repeat 2", async () => {
      const result = await run(['simulate', 'hello from the cli', '--repeat', '2', '--url', serviceUrl]);
      expect(result.code).toBe(0);
      const id = messageIdIn(result.stdout);
      expect(result.stdout).toContain(`#1 200 {"status":"accepted","id":"${id}"}`);
      expect(result.stdout).toContain(`#2 200 {"status":"duplicate","id":"${id}"}`);

      const job = await eventJob(id);
      expect(eventOf(job)).toMatchObject({
        sender: { uid: 'cli-user' },
        conversation: { type: 'user', id: 'cli-user' },
        category: 'message',
        type: 'text',
        text: 'hello from the cli',
        mentionsBot: false,
      });
      expect(job?.data).toMatchObject({ trigger: 'after_message', bot: 'support-bot', data: { receiver: 'support-bot', receiverType: 'user' } });
      await waitFor('the echo of the simulated message', () => echoed('hello from the cli'));
    });

    it('sends a group message, mentioning the bot with --mention; without it the group setting ignores it', async () => {
      const mentioned = await run(['simulate', 'status please', '--group', 'ops-room', '--mention', '--sender', 'alice', '--url', serviceUrl]);
      expect(mentioned.code).toBe(0);
      expect(mentioned.stdout).toContain('"status":"accepted"');
      const job = await eventJob(messageIdIn(mentioned.stdout));
      expect(eventOf(job)).toMatchObject({
        sender: { uid: 'alice' },
        conversation: { type: 'group', id: 'ops-room' },
        text: 'status please',
        mentionsBot: true,
      });
      expect(job?.data.data.data.mentions).toEqual({ 'support-bot': { uid: 'support-bot', name: 'Bot' } });

      const plain = await run(['simulate', 'just chatting', '--group', 'ops-room', '--url', serviceUrl]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain('"status":"ignored"');
      expect(plain.stdout).toContain('"reason":"group-setting"');
      await waitFor('the echo of the group message', () => echoed('status please'));
    });

    it('posts distinct messages with --new-ids, and fixtures with a fresh id unless --keep-id', async () => {
      const distinct = await run(['simulate', 'twice', '--repeat', '2', '--new-ids', '--url', serviceUrl]);
      expect(distinct.code).toBe(0);
      expect(distinct.stdout.match(/"status":"accepted"/g)).toHaveLength(2);

      const fixtureFile = join(ROOT, 'test', 'fixtures', 'user-text.json');
      const fresh = await run(['simulate', '--fixture', fixtureFile, '--url', serviceUrl]);
      expect(fresh.code).toBe(0);
      expect(messageIdIn(fresh.stdout)).not.toBe('1045');
      expect(fresh.stdout).toContain('"status":"accepted"');

      const kept = await run(['simulate', '--fixture', fixtureFile, '--keep-id', '--repeat', '2', '--url', serviceUrl]);
      expect(kept.code).toBe(0);
      expect(kept.stdout).toContain('#1 200 {"status":"accepted","id":"1045"}');
      expect(kept.stdout).toContain('#2 200 {"status":"duplicate","id":"1045"}');
      await waitFor('the echoes', () => cometchat.calls.filter((c) => c.body?.data?.text === 'Where is my order #5521?').length >= 2);
    });

    it('exits 1 when an answer is not 2xx or nobody answers, printing the answer but not the password', async () => {
      const wrong = await run(['simulate', 'let me in', '--url', serviceUrl], { WEBHOOK_PASSWORD: 'not-the-password' });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toMatch(/^401 \{.*"statusCode":401/m);
      expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password');

      const nobody = await run(['simulate', 'anyone?', '--url', `http://127.0.0.1:${await freePort()}`]);
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toMatch(/no answer from .*ECONNREFUSED.*is the service running/);
    });
  });

  describe('register', () => {
    beforeEach(() => {
      cometchat.bots.clear();
      cometchat.users = undefined;
    });

    it('creates the bot, then finds nothing to change on a second run', async () => {
      const created = await run(['register', '--url', CALLBACK_URL]);
      expect(created.code).toBe(0);
      expect(created.stdout).toContain('created bot support-bot');
      expect(created.stdout).toContain(`webhookURL: ${CALLBACK_URL}`);
      expect(created.stdout).toContain('groupChatSetting: mentionedMessages');
      expect(created.stdout).toContain('password: (set, not shown)');
      expect(cometchat.bots.get('support-bot')).toMatchObject({
        webhookURL: CALLBACK_URL,
        groupChatSetting: 'mentionedMessages',
        useBasicAuth: true,
        username: 'cometchat',
        password: WEBHOOK_PASSWORD,
        enabled: true,
      });
      const create = botsCalls().find((c) => c.method === 'POST')!;
      expect(create.headers.apikey).toBe('e2e-api-key');
      // Without the Management API's credentials, the app webhook to set up in the dashboard is printed.
      expect(created.stdout).toContain('app webhook to set up in app e2e-app (CometChat dashboard: Settings > Webhooks');
      expect(created.stdout).toContain(`webhookURL: ${EVENTS_URL}`);
      expect(created.stdout).toContain('username: cometchat');
      expect(created.stdout).toContain('password: WEBHOOK_PASSWORD (not shown)');
      expect(created.stdout).toContain('retryOnFailure: true');
      expect(created.stdout).toContain(`triggers: ${TRIGGERS.join(', ')}`);
      expect(management.calls).toHaveLength(0);

      const writesBefore = botsCalls().filter((c) => c.method !== 'GET').length;
      const again = await run(['register', '--url', CALLBACK_URL]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('bot support-bot is up to date in CometChat: no changes');
      expect(botsCalls().filter((c) => c.method !== 'GET')).toHaveLength(writesBefore);
    });

    it('updates only the fields that differ, printing each change', async () => {
      await run(['register', '--url', CALLBACK_URL]);
      const changed = await run(['register', '--url', CALLBACK_URL], { GROUP_CHAT_SETTING: 'allMessages' });
      expect(changed.code).toBe(0);
      expect(changed.stdout).toContain('groupChatSetting: mentionedMessages → allMessages');
      expect(changed.stdout).toContain('updated bot support-bot: 1 field changed');
      const put = botsCalls()
        .filter((c) => c.method === 'PUT')
        .at(-1)!;
      expect(put.path).toBe('/v3/bots/support-bot');
      expect(put.body).toEqual({ groupChatSetting: 'allMessages' });

      // Someone disabled the bot and changed its password in the dashboard.
      Object.assign(cometchat.bots.get('support-bot')!, { enabled: false, password: 'dashboard-password' });
      const repaired = await run(['register', '--url', CALLBACK_URL]);
      expect(repaired.code).toBe(0);
      expect(repaired.stdout).toContain('groupChatSetting: allMessages → mentionedMessages');
      expect(repaired.stdout).toContain('enabled: false → true');
      expect(repaired.stdout).toContain('password: changed (not shown)');
      expect(
        botsCalls()
          .filter((c) => c.method === 'PUT')
          .at(-1)!.body,
      ).toEqual({
        groupChatSetting: 'mentionedMessages',
        enabled: true,
        password: WEBHOOK_PASSWORD,
      });
      expect(cometchat.bots.get('support-bot')).toMatchObject({ enabled: true, password: WEBHOOK_PASSWORD });
      expect(repaired.stdout + repaired.stderr).not.toContain('dashboard-password');
    });

    describe('the app webhook, with the Management API', () => {
      const withManagement = {
        COMETCHAT_MANAGEMENT_KEY: 'mgmt-key',
        COMETCHAT_MANAGEMENT_SECRET: 'mgmt-secret',
        EVENTS_WEBHOOK_USERNAME: 'events-hook',
        EVENTS_WEBHOOK_PASSWORD: EVENTS_PASSWORD,
      };
      beforeEach(() => {
        management.apps.clear();
        management.calls.length = 0;
      });
      const env = () => ({ ...withManagement, COMETCHAT_MANAGEMENT_API_URL: management.url });

      it('creates it with Basic Auth, the four triggers and retryOnFailure, then changes nothing on a second run', async () => {
        const created = await run(['register', '--url', CALLBACK_URL], env());
        expect(created.code).toBe(0);
        expect(created.stdout).toContain(`creating app webhook bot_service_events in app e2e-app (${management.url})`);
        expect(created.stdout).toContain('created app webhook bot_service_events in app e2e-app');
        expect(management.webhooksOf('e2e-app').get('bot_service_events')).toMatchObject({
          webhookURL: EVENTS_URL,
          useBasicAuth: true,
          username: 'events-hook',
          password: EVENTS_PASSWORD,
          enabled: true,
          retryOnFailure: true,
          triggers: TRIGGERS,
        });
        const create = management.calls.find((c) => c.method === 'POST' && c.path === '/apps/e2e-app/webhooks')!;
        expect(create.body).toEqual({
          id: 'bot_service_events',
          name: 'cometchat-bot-service events',
          webhookURL: EVENTS_URL,
          enabled: true,
          useBasicAuth: true,
          username: 'events-hook',
          password: EVENTS_PASSWORD,
          retryOnFailure: true,
        });
        expect(management.calls.at(-1)).toMatchObject({
          method: 'POST',
          path: '/apps/e2e-app/webhooks/bot_service_events/triggers',
          body: { triggerIds: TRIGGERS },
        });
        for (const call of management.calls) expect(call.headers).toMatchObject({ key: 'mgmt-key', secret: 'mgmt-secret', 'x-webhook-version': '2' });

        const writes = management.writes().length;
        const again = await run(['register', '--url', CALLBACK_URL], env());
        expect(again.code).toBe(0);
        expect(again.stdout).toContain('app webhook bot_service_events of app e2e-app is up to date: no changes');
        expect(management.writes()).toHaveLength(writes);
      });

      it('repairs only what differs: a field changed in the dashboard, a trigger removed', async () => {
        const now = Math.floor(Date.now() / 1000);
        // Made in the dashboard under its own id: found by its URL, never duplicated.
        management.webhooksOf('e2e-app').set('my-hook', {
          id: 'my-hook',
          name: 'mine',
          webhookURL: EVENTS_URL,
          useBasicAuth: true,
          username: 'events-hook',
          password: 'dashboard-password',
          enabled: false,
          retryOnFailure: true,
          triggers: ['message_edited', 'message_deleted', 'message_reaction_added', 'message_sent'],
          createdAt: now,
          updatedAt: now,
        });
        const dry = await run(['register', '--url', CALLBACK_URL, '--dry-run'], env());
        expect(dry.code).toBe(0);
        expect(dry.stdout).toContain('would update app webhook my-hook in app e2e-app');
        expect(management.writes()).toHaveLength(0);

        const repaired = await run(['register', '--url', CALLBACK_URL], env());
        expect(repaired.code).toBe(0);
        expect(repaired.stdout).toContain('enabled: false → true');
        expect(repaired.stdout).toContain('password: changed (not shown)');
        expect(repaired.stdout).toContain('triggers: + message_reaction_removed');
        expect(repaired.stdout).toContain('updated app webhook my-hook: 2 fields changed, 1 trigger added');
        expect(management.writes().map((c) => [c.method, c.path, c.body])).toEqual([
          ['PUT', '/apps/e2e-app/webhooks/my-hook', { enabled: true, password: EVENTS_PASSWORD }],
          ['POST', '/apps/e2e-app/webhooks/my-hook/triggers', { triggerIds: ['message_reaction_removed'] }],
        ]);
        expect(management.webhooksOf('e2e-app').size).toBe(1);
        expect(repaired.stdout + repaired.stderr).not.toContain('dashboard-password');
      });

      it('exits 1 with a fix when the Management API refuses the secret, 2 when only one of key and secret is set', async () => {
        const refused = await run(['register', '--url', CALLBACK_URL], { ...env(), COMETCHAT_MANAGEMENT_SECRET: 'wrong-secret' });
        expect(refused.code).toBe(1);
        expect(refused.stdout).toContain('bot support-bot'); // the bot itself was registered
        expect(refused.stderr).toMatch(/error: GET \/apps\/e2e-app\/webhooks\?perPage=100: the Management API answered 401/);
        expect(refused.stderr).toContain('fix: check COMETCHAT_MANAGEMENT_KEY and COMETCHAT_MANAGEMENT_SECRET');
        expect(refused.stdout + refused.stderr).not.toContain('wrong-secret');

        const before = botsCalls().length;
        const half = await run(['register', '--url', CALLBACK_URL], { COMETCHAT_MANAGEMENT_KEY: 'mgmt-key' });
        expect(half.code).toBe(2);
        expect(half.stderr).toContain('the Management API needs both a key and a secret: COMETCHAT_MANAGEMENT_SECRET');
        expect(botsCalls()).toHaveLength(before);
      });
    });

    it('changes nothing with --dry-run', async () => {
      const dry = await run(['register', '--url', CALLBACK_URL, '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('would create bot support-bot');
      expect(cometchat.bots.size).toBe(0);
    });

    it('refuses a non-https URL unless --allow-http', async () => {
      const before = botsCalls().length;
      const refused = await run(['register', '--url', 'http://127.0.0.1:3000/webhooks/cometchat']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--url must be https://');
      expect(botsCalls()).toHaveLength(before);

      const allowed = await run(['register', '--url', 'http://127.0.0.1:3000/webhooks/cometchat', '--allow-http']);
      expect(allowed.code).toBe(0);
      expect(cometchat.bots.get('support-bot')?.webhookURL).toBe('http://127.0.0.1:3000/webhooks/cometchat');
    });

    it('exits 1 with a fix when CometChat refuses the key or the bot user does not exist', async () => {
      const badKey = await run(['register', '--url', CALLBACK_URL], { COMETCHAT_API_KEY: 'wrong-key' });
      expect(badKey.code).toBe(1);
      expect(badKey.stderr).toContain('AUTH_ERR_APIKEY_NOT_FOUND');
      expect(badKey.stderr).toMatch(/fix: check COMETCHAT_APP_ID, COMETCHAT_REGION and COMETCHAT_API_KEY/);
      expect(badKey.stderr).not.toContain('wrong-key');

      cometchat.users = new Set(['someone-else']);
      const noUser = await run(['register', '--url', CALLBACK_URL]);
      expect(noUser.code).toBe(1);
      expect(noUser.stderr).toContain('ERR_UID_NOT_FOUND');
      expect(noUser.stderr).toContain('fix: create the user "support-bot" first');
    });

    it('never printed a password or the API key, even the one CometChat echoed back', () => {
      expect(printed.length).toBeGreaterThan(0);
      for (const output of printed) {
        expect(output).not.toContain(WEBHOOK_PASSWORD);
        expect(output).not.toContain('dashboard-password');
        expect(output).not.toContain('e2e-api-key');
        expect(output).not.toContain(EVENTS_PASSWORD);
        expect(output).not.toContain('mgmt-secret');
      }
    });
  });

  describe('doctor', () => {
    // The bot as `register --url CALLBACK_URL` leaves it (see above), set directly to spare a process per test.
    beforeEach(() => {
      cometchat.bots.clear();
      cometchat.bots.set('support-bot', {
        uid: 'support-bot',
        webhookURL: CALLBACK_URL,
        groupChatSetting: 'mentionedMessages',
        useBasicAuth: true,
        username: 'cometchat',
        password: WEBHOOK_PASSWORD,
        enabled: true,
        createdAt: Math.floor(Date.now() / 1000),
      });
    });

    it('passes every check when the bot matches the service, exit 0', async () => {
      // The service itself is the public URL here: its events route answers doctor's receipt.
      const publicCallback = `${serviceUrl}/webhooks/cometchat`;
      cometchat.bots.get('support-bot')!.webhookURL = publicCallback;
      const result = await run(['doctor', '--url', publicCallback, '--service', serviceUrl]);
      expect(result.code).toBe(0);
      for (const check of [
        'configuration',
        'redis',
        'cometchat',
        'bot exists',
        'bot enabled',
        'webhook URL',
        'group setting',
        'basic auth',
        'service',
        'events route',
      ]) {
        expect(result.stdout).toMatch(new RegExp(`^ok {6}${check}: `, 'm'));
      }
      expect(result.stdout).not.toMatch(/^failed/m);
      expect(result.stdout).toContain('basic auth: on, username cometchat, password matches');
      expect(result.stdout).toContain(
        `events route: ${serviceUrl}/webhooks/cometchat/events answered 200 ignored to a message_delivery_receipt, with username cometchat`,
      );
    });

    it('fails the events route with what to fix: wrong credentials, no route there, no answer', async () => {
      // The service: doctor run with other credentials than the service's, or a URL where the route is not.
      const at = (path: string) => `${serviceUrl}${path}`;
      const refused = await run(['doctor', '--url', at('/webhooks/cometchat')], { EVENTS_WEBHOOK_PASSWORD: 'not-the-services' });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(
        /^failed {2}events route: \S+\/webhooks\/cometchat\/events refused the events credentials \(401, username cometchat\)$/m,
      );
      expect(refused.stdout).toMatch(
        /^ {8}fix: run doctor with the service's environment: EVENTS_WEBHOOK_USERNAME and EVENTS_WEBHOOK_PASSWORD must be/m,
      );
      expect(refused.stdout).not.toContain('not-the-services');

      const elsewhere = await run(['doctor', '--url', at('/other/webhooks/cometchat')]);
      expect(elsewhere.stdout).toMatch(/^failed {2}events route: \S+\/other\/webhooks\/cometchat\/events answered 404: no events route there$/m);
      expect(elsewhere.stdout).toMatch(
        /^ {8}fix: run a service version with \/webhooks\/cometchat\/events, and let the proxy in front of it forward that path$/m,
      );

      eventsRoute.mode = 'hang';
      try {
        const silent = await run(['doctor', '--url', `${eventsRoute.url}/webhooks/cometchat`]);
        expect(silent.stdout).toMatch(/^failed {2}events route: \S+ no answer within 3 s/m);
        expect(silent.stdout).toMatch(/^ {8}fix: CometChat must reach this URL/m);
      } finally {
        eventsRoute.mode = 'route';
      }
    });

    it('fails a mismatched webhook URL and a disabled bot, each with its fix, exit 1', async () => {
      cometchat.bots.get('support-bot')!.enabled = false;
      const result = await run(['doctor', '--url', 'https://elsewhere.example.com/webhooks/cometchat']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^failed {2}bot enabled: the bot is disabled/m);
      expect(result.stdout).toMatch(
        /^failed {2}webhook URL: CometChat calls https:\/\/bot\.example\.com\/webhooks\/cometchat, not https:\/\/elsewhere\.example\.com\/webhooks\/cometchat$/m,
      );
      expect(result.stdout).toMatch(/^ {8}fix: run `register --url https:\/\/elsewhere\.example\.com\/webhooks\/cometchat`/m);
      expect(result.stdout).toMatch(/^ok {6}basic auth: /m);
      // Nothing answers at that URL: the events route fails too.
      expect(result.stdout).toMatch(/^failed {2}events route: https:\/\/elsewhere\.example\.com\/webhooks\/cometchat\/events: no answer/m);
      expect(result.stdout).toContain('3 checks failed');
    });

    it('fails a group setting or Basic Auth that differs, without printing either password', async () => {
      Object.assign(cometchat.bots.get('support-bot')!, { groupChatSetting: 'allMessages', password: 'stale-password' });
      const result = await run(['doctor']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^failed {2}group setting: CometChat relays allMessages, the service expects GROUP_CHAT_SETTING=mentionedMessages/m,
      );
      expect(result.stdout).toMatch(/^failed {2}basic auth: password differs from WEBHOOK_PASSWORD \(not shown\)/m);
      expect(result.stdout).toMatch(/^skipped webhook URL: CometChat calls https:\/\/bot\.example\.com\/webhooks\/cometchat; pass --url/m);
      expect(result.stdout + result.stderr).not.toContain('stale-password');
      expect(result.stdout + result.stderr).not.toContain(WEBHOOK_PASSWORD);
    });

    it('fails when CometChat has no bot for BOT_UID, or refuses the key', async () => {
      cometchat.bots.clear();
      const none = await run(['doctor']);
      expect(none.code).toBe(1);
      expect(none.stdout).toMatch(/^failed {2}bot exists: CometChat has no bot for UID support-bot/m);

      const badKey = await run(['doctor'], { COMETCHAT_API_KEY: 'wrong-key' });
      expect(badKey.code).toBe(1);
      expect(badKey.stdout).toMatch(/^failed {2}cometchat: .*401 AUTH_ERR_APIKEY_NOT_FOUND/m);
    });

    it('fails Redis within seconds when it does not answer, and lists every bad variable', async () => {
      const started = Date.now();
      const result = await run(['doctor'], { REDIS_URL: 'redis://127.0.0.1:1', COMETCHAT_REGION: 'mars', WEBHOOK_USERNAME: 'a:b' });
      expect(result.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.stdout).toMatch(/^failed {2}redis: redis:\/\/127\.0\.0\.1:1 does not answer PING/m);
      expect(result.stdout).toMatch(/^failed {2}configuration: 2 invalid variables$/m);
      expect(result.stdout).toContain('- COMETCHAT_REGION must be one of: us, eu, in');
      expect(result.stdout).toContain('- WEBHOOK_USERNAME must not contain ":"');
    });
  });

  describe('failed', () => {
    const prefix = uniquePrefix('cli-failed');
    const connection = { url: REDIS_URL };
    let events: Queue;
    let replies: Queue;
    const failedEnv = { QUEUE_PREFIX: prefix };

    /** Fails jobs the way the service's processors do for good: an UnrecoverableError. */
    async function failAll(queue: Queue, reason: string, count: number) {
      const worker = new Worker(
        queue.name,
        async () => {
          throw new UnrecoverableError(reason);
        },
        { connection: { ...connection, maxRetriesPerRequest: null }, prefix },
      );
      try {
        await waitFor(`${count} failed ${queue.name}`, async () => (await queue.getFailedCount()) >= count);
      } finally {
        await worker.close();
      }
    }

    /** An events job holds the callback as CometChat sent it. */
    const event = (id: string, text: string) => {
      const callback = fixture('user-text');
      callback.data.id = id;
      callback.data.data.text = text;
      return callback;
    };

    beforeAll(async () => {
      events = new Queue('events', { connection, prefix });
      replies = new Queue('replies', { connection, prefix });
      await events.add('bot-event', event('1045', 'Where is my order #5521?'), { jobId: 'evt-1045-aaaa' });
      await events.add('bot-event', event('1046', 'and the other one?'), { jobId: 'evt-1046-bbbb' });
      await events.add('bot-event', event('1047', 'third'), { jobId: 'evt-1047-cccc' });
      await failAll(events, 'the knowledge base is down', 3);
      await replies.add(
        'bot-reply',
        {
          eventId: '1045',
          index: 0,
          target: { type: 'user', id: 'cometchat-uid-1' },
          reply: { category: 'message', type: 'text', data: { text: 'Order #5521 is shipped.' } },
          muid: 'reply-1045-0',
        },
        { jobId: 'reply-1045-0' },
      );
      await failAll(replies, 'CometChat answered 400: {"error":{"code":"ERR_BLOCKED_RECEIVER"}}', 1);
    });
    afterAll(async () => {
      await events.close();
      await replies.close();
      await deleteKeys(prefix);
    });

    it('lists failed jobs with what they were about, as text or JSON', async () => {
      const text = await run(['failed', 'list'], failedEnv);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('events: 3 failed');
      expect(text.stdout).toContain('replies: 1 failed');
      expect(text.stdout).toMatch(/evt-1045-aaaa {2}attempts 1 {2}failed \d{4}-\d\d-\d\dT/);
      expect(text.stdout).toContain('message 1045 from cometchat-uid-1 in user:cometchat-uid-1: "Where is my order #5521?"');
      expect(text.stdout).toContain('reason: the knowledge base is down');
      expect(text.stdout).toContain('reply to user:cometchat-uid-1 (muid reply-1045-0): "Order #5521 is shipped."');

      const json = await run(['failed', 'list', '--queue', 'replies', '--json'], failedEnv);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual([
        expect.objectContaining({
          queue: 'replies',
          id: 'reply-1045-0',
          attempts: 1,
          failedReason: expect.stringContaining('ERR_BLOCKED_RECEIVER'),
          finishedOn: expect.any(String),
          reply: expect.objectContaining({ target: 'user:cometchat-uid-1', muid: 'reply-1045-0' }),
        }),
      ]);

      const limited = await run(['failed', 'list', '--queue', 'events', '--limit', '1'], failedEnv);
      expect(limited.stdout).toContain('events: 3 failed (showing the latest 1; --limit for more)');
    });

    it('retries one job back to waiting, with its attempts reset', async () => {
      const result = await run(['failed', 'retry', 'evt-1045-aaaa'], failedEnv);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('retried events job evt-1045-aaaa: back to waiting');
      const job = (await Job.fromId(events, 'evt-1045-aaaa'))!;
      expect(await job.getState()).toBe('waiting');
      expect(job.attemptsMade).toBe(0);
    });

    it('discards one job for good', async () => {
      const result = await run(['failed', 'discard', 'reply-1045-0', '--queue', 'replies'], failedEnv);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('discarded replies job reply-1045-0');
      expect(await Job.fromId(replies, 'reply-1045-0')).toBeUndefined();
    });

    it('exits 1 for an unknown id or a job that has not failed', async () => {
      const unknown = await run(['failed', 'retry', 'evt-9999-none'], failedEnv);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no job evt-9999-none in events or replies');

      const waiting = await run(['failed', 'discard', 'evt-1045-aaaa'], failedEnv);
      expect(waiting.code).toBe(1);
      expect(waiting.stderr).toContain('job evt-1045-aaaa in events is waiting, not failed');
    });

    it('retries or discards --all', async () => {
      const retried = await run(['failed', 'retry', '--all', '--queue', 'events'], failedEnv);
      expect(retried.code).toBe(0);
      expect(retried.stdout).toContain('retried 2 failed events jobs');
      expect(await events.getFailedCount()).toBe(0);

      await failAll(events, 'still down', 3);
      const discarded = await run(['failed', 'discard', '--all'], failedEnv);
      expect(discarded.code).toBe(0);
      expect(discarded.stdout).toContain('discarded 3 failed events jobs');
      expect(discarded.stdout).toContain('discarded 0 failed replies jobs');
      expect(await events.getJobCounts('failed', 'waiting')).toEqual({ failed: 0, waiting: 0 });
    });

    it('re-drives a reply CometChat refused, once the cause is gone', async () => {
      // Let the service finish earlier work, so the scripted 400 meets this reply.
      const idle = async (name: 'events' | 'replies') => {
        const counts = await app.queue(name).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      };
      await waitFor('the service to be idle', async () => (await idle('events')) && (await idle('replies')));
      cometchat.answerNext({ status: 400, body: { error: { code: 'ERR_BLOCKED_RECEIVER', message: 'blocked' } } });

      const sent = await run(['simulate', 'please answer', '--url', serviceUrl]);
      expect(sent.code).toBe(0);
      const id = /message (\d+) from/.exec(sent.stdout)![1];
      const replyId = `reply-${id}-0`;
      await waitFor('the reply to fail', async () => (await app.queue('replies').getJob(replyId))?.isFailed());

      const listed = await run(['failed', 'list', '--queue', 'replies', '--json']);
      expect(JSON.parse(listed.stdout)).toContainEqual(
        expect.objectContaining({
          id: replyId,
          failedReason: expect.stringContaining('400'),
          reply: expect.objectContaining({ target: 'user:cli-user', muid: replyId }),
        }),
      );

      const retried = await run(['failed', 'retry', replyId]);
      expect(retried.code).toBe(0);
      await waitFor('the reply to be sent', async () => (await app.queue('replies').getJob(replyId))?.isCompleted());
      expect(cometchat.delivered.filter((c) => c.body.muid === replyId)).toHaveLength(1);
    });
  });
});
