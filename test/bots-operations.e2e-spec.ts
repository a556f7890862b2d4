import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS, metricName } from '../src/metrics/metric-definitions';
import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { Scrape } from './support/prometheus-text';
import { freePort, ServiceProcess } from './support/service-process';
import { BOT_UID, deleteKeys, TestApp, testEnv } from './support/test-app';
import { waitFor } from './support/wait-for';
import { NO_SINGLE_BOT } from './support/several-bots';

const name = (key: keyof typeof METRICS) => metricName(METRICS[key]);

/** The secrets the file reads from the environment; the staging app takes another key than the one it is given. */
const SECRETS = {
  MAIN_API_KEY: 'e2e-main-api-key-ops-Tz41',
  STAGING_API_KEY: 'e2e-staging-api-key-ops-Wq72',
  SUPPORT_WEBHOOK_PASSWORD: 'e2e-support-password-ops-Lm05',
  SALES_WEBHOOK_PASSWORD: 'e2e-sales-password-ops-Nb38',
  OPS_WEBHOOK_PASSWORD: 'e2e-ops-password-ops-Kc96',
};
const BOTS = ['support-bot', 'sales-bot', 'ops-bot'];

const auth = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const SUPPORT = auth('cometchat', SECRETS.SUPPORT_WEBHOOK_PASSWORD);
const OPS = auth('ops', SECRETS.OPS_WEBHOOK_PASSWORD);

let nextId = 8_100_000;
/** A one-to-one text callback for `bot` from `sender` (its own conversation). */
const callback = (bot: string | undefined, sender: string, text = 'hello') => ({
  trigger: 'after_message',
  ...(bot !== undefined ? { bot } : {}),
  appId: 'e2e',
  data: { id: String(++nextId), sender, receiver: bot ?? 'ops-bot', receiverType: 'user', category: 'message', type: 'text', data: { text } },
});

type Line = Record<string, any> & { msg: string; level: string };

/**
 * Operations per bot, on the service as operators run it (its own process, LOG_LEVEL=info, BOTS_FILE): three bots in
 * two fake CometChat apps, the second of which refuses the key it is given. Its logs, metrics and readiness name the
 * bot each figure is about.
 */
describe('operations per bot (several bots)', () => {
  let dir: string;
  let main: FakeCometChat;
  let staging: FakeCometChat;
  let service: ServiceProcess;
  let prefix: string;

  const lines = () =>
    service.stdout
      .slice(0, service.stdout.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Line);
  const named = (msg: string) => lines().filter((line) => line.msg === msg);
  const post = (body: unknown, authorization: string, path = '/webhooks/cometchat') =>
    fetch(`${service.url}${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const scrape = async () => new Scrape(await (await fetch(`${service.url}/metrics`)).text());

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bots-operations-'));
    main = await new FakeCometChat().start();
    staging = await new FakeCometChat().start();
    // The staging app knows another key: ops-bot's is refused (401 AUTH_ERR_APIKEY_NOT_FOUND) on its Bots API.
    staging.botsApiKey = 'the-key-staging-really-has';
    const file = join(dir, 'bots.yaml');
    writeFileSync(
      file,
      `
apps:
  main: { appId: "e2e-main", region: us, apiKey: "\${MAIN_API_KEY}", apiUrl: "${main.url}" }
  staging: { appId: "e2e-staging", region: eu, apiKey: "\${STAGING_API_KEY}", apiUrl: "${staging.url}" }
bots:
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: "\${SUPPORT_WEBHOOK_PASSWORD}" }
  - uid: Sales-Bot
    app: main
    webhook: { username: cometchat, password: "\${SALES_WEBHOOK_PASSWORD}" }
  - uid: ops-bot
    app: staging
    webhook: { username: ops, password: "\${OPS_WEBHOOK_PASSWORD}" }
`,
    );
    const env: Record<string, string> = {
      ...testEnv('bots-operations'),
      ...NO_SINGLE_BOT,
      ...SECRETS,
      BOTS_FILE: file,
      RETRY_BACKOFF_MS: '100',
      LOG_LEVEL: 'info',
    };
    prefix = env.QUEUE_PREFIX;
    service = ServiceProcess.spawn({ ...env, PORT: String(await freePort()) });
    await waitFor('the service to listen', () => service.output.includes('listening on'), { timeoutMs: 30_000 });
  });

  afterAll(async () => {
    if (service) {
      service.kill('SIGKILL');
      await service.exited();
    }
    await deleteKeys(prefix);
    await main?.stop();
    await staging?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers /health/ready 503 naming the bot whose app refused its key at boot, and why, with no secret; the others' are fine", async () => {
    const answer = await waitFor('readiness to name ops-bot', async () => {
      const res = await fetch(`${service.url}/health/ready`);
      return res.status === 503 && ((await res.json()) as any);
    });
    expect(answer.details.redis).toEqual({ status: 'up' });
    expect(answer.details.workers).toEqual({ status: 'up' });
    expect(answer.error).toEqual({
      cometchat: {
        status: 'down',
        message: 'app credentials refused for ops-bot',
        refused: { 'ops-bot': 'app staging refused its API key (CometChat answered 401 AUTH_ERR_APIKEY_NOT_FOUND)' },
      },
    });
    for (const secret of Object.values(SECRETS)) expect(JSON.stringify(answer)).not.toContain(secret);
    // One look per bot, with its own app's key.
    const looks = [...main.calls, ...staging.calls].filter((c) => c.method === 'GET' && /^\/v3\/bots\/[^/]+$/.test(c.path));
    expect(looks.map((c) => [c.path, c.headers.apikey]).sort()).toEqual([
      ['/v3/bots/ops-bot', SECRETS.STAGING_API_KEY],
      ['/v3/bots/sales-bot', SECRETS.MAIN_API_KEY],
      ['/v3/bots/support-bot', SECRETS.MAIN_API_KEY],
    ]);
    expect(named('app credentials refused')).toEqual([expect.objectContaining({ level: 'error', bot: 'ops-bot', app: 'staging' })]);
  });

  let toSupport: ReturnType<typeof callback>;
  let toOps: ReturnType<typeof callback>;

  it('names the bot on every line about a message or a send: the webhook request, the turn, the send, a retried send', async () => {
    // support-bot's reply meets a 500 once (a retried send, logged by the worker), then goes.
    main.answerNext({ status: 500 });
    toSupport = callback('support-bot', 'ana');
    toOps = callback(undefined, 'ben');
    expect((await post(toSupport, SUPPORT)).status).toBe(200);
    expect((await post(toOps, OPS, '/webhooks/cometchat/ops-bot')).status).toBe(200);
    // Another bot's credentials (401: counted for the bot it named), and a bot this service does not serve (404).
    expect((await post(callback('sales-bot', 'cy'), SUPPORT)).status).toBe(401);
    expect((await post(callback('billing-bot', 'di'), SUPPORT)).status).toBe(404);

    const sent = (muid: string) => named('send').find((line) => line.muid === muid && line.outcome === 'sent');
    await waitFor('both replies sent', () => sent(`reply-${toSupport.data.id}-0.support-bot`) && sent(`reply-${toOps.data.id}-0.ops-bot`));

    const requests = named('webhook request');
    expect(requests).toEqual([
      expect.objectContaining({ bot: 'support-bot', status: 200, outcome: 'accepted', conversation: 'support-bot/user-ana' }),
      expect.objectContaining({ bot: 'ops-bot', status: 200, outcome: 'accepted', conversation: 'ops-bot/user-ben' }),
      expect.objectContaining({ bot: 'sales-bot', status: 401, outcome: 'refused' }),
      expect.objectContaining({ status: 404, outcome: 'refused' }),
    ]);
    expect(requests[3]).not.toHaveProperty('bot');
    expect(named('turn')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ bot: 'support-bot', messageId: toSupport.data.id, conversation: 'support-bot/user-ana', outcome: 'answered' }),
        expect.objectContaining({ bot: 'ops-bot', messageId: toOps.data.id, conversation: 'ops-bot/user-ben', outcome: 'answered' }),
      ]),
    );
    expect(named('send')).toHaveLength(3);
    expect(named('send')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'warn', bot: 'support-bot', status: 500, outcome: 'retrying', conversation: 'support-bot/user-ana' }),
        expect.objectContaining({ level: 'info', bot: 'support-bot', outcome: 'sent' }),
        expect.objectContaining({ level: 'info', bot: 'ops-bot', outcome: 'sent', conversation: 'ops-bot/user-ben' }),
      ]),
    );
    for (const line of [...named('turn'), ...named('send')]) expect(line.bot).toBe(line.conversation.split('/')[0]);
  });

  it('labels each per-message and per-send series with its bot, only ever a configured one', async () => {
    const metrics = await waitFor('the replies counted', async () => {
      const scraped = await scrape();
      const completed = (bot: string) => scraped.count(name('jobs'), { bot, queue: 'replies', outcome: 'completed' });
      return completed('support-bot') === 1 && completed('ops-bot') === 1 && scraped;
    });
    const webhook = name('webhookRequests');
    expect({
      support: metrics.value(webhook, { bot: 'support-bot', status: '200', outcome: 'accepted' }),
      ops: metrics.value(webhook, { bot: 'ops-bot', status: '200', outcome: 'accepted' }),
      sales: metrics.value(webhook, { bot: 'sales-bot', status: '401', outcome: 'refused' }),
      none: metrics.value(webhook, { bot: '', status: '404', outcome: 'refused' }),
    }).toEqual({ support: 1, ops: 1, sales: 1, none: 1 });
    expect(metrics.value(`${name('turnDuration')}_count`, { bot: 'ops-bot', responder: 'echo' })).toBe(1);
    expect(metrics.value(`${name('replyLatency')}_count`, { bot: 'support-bot' })).toBe(1);
    expect(metrics.value(name('jobs'), { bot: 'support-bot', queue: 'replies', outcome: 'retried' })).toBe(1);
    expect(metrics.value(name('cometchatRequests'), { bot: 'support-bot', class: '5xx' })).toBe(1);
    expect(metrics.value(name('cometchatRequests'), { bot: 'ops-bot', class: '2xx' })).toBe(1);
    // Every bot's series exist from zero, the quiet one's too.
    expect(metrics.value(name('jobs'), { bot: 'sales-bot', queue: 'replies', outcome: 'failed' })).toBe(0);
    expect(metrics.value(name('cometchatRequests'), { bot: 'sales-bot', class: '429' })).toBe(0);

    // billing-bot was named by a request: no series of it.
    const values = new Set(metrics.samples.filter((s) => 'bot' in s.labels).map((s) => s.labels.bot));
    expect([...values].sort()).toEqual(['', ...BOTS].sort());
  });
});

/** One bot, as without BOTS_FILE: readiness and the boot check in each setting it meets. */
describe('the boot check of app credentials (one bot)', () => {
  let cometchat: FakeCometChat;
  const apps: TestApp[] = [];
  const start = async (name: string, overrides: Record<string, string>) => {
    const app = await TestApp.start(name, overrides);
    apps.push(app);
    return app;
  };
  const ready = async (app: TestApp) => {
    const res = await app.app.inject({ method: 'GET', url: '/health/ready' });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    cometchat.botsApiKey = undefined;
    cometchat.calls.length = 0;
  });
  afterAll(() => cometchat.stop());

  it('fails readiness for a key the app refuses, naming the bot', async () => {
    cometchat.botsApiKey = 'not-the-key-it-is-given';
    const app = await start('bots-ops-refused', { COMETCHAT_API_URL: cometchat.url });
    const answer = await waitFor('readiness to fail', async () => {
      const { status, body } = await ready(app);
      return status === 503 && body;
    });
    expect(answer.details.cometchat).toEqual({
      status: 'down',
      message: `app credentials refused for ${BOT_UID}`,
      refused: { [BOT_UID]: 'app default refused its API key (CometChat answered 401 AUTH_ERR_APIKEY_NOT_FOUND)' },
    });
    // The webhook still takes messages: readiness reports, it does not stop the service.
    expect((await app.post(fixture('user-text'))).json()).toMatchObject({ status: 'accepted' });
  });

  it('stays ready while CometChat cannot be reached, naming the bot unconfirmed, not refused', async () => {
    // testEnv's COMETCHAT_API_URL: nothing listens there, so each look is refused at once, and asked again later.
    const app = await start('bots-ops-unreachable', {});
    for (let look = 0; look < 5; look++) {
      const { status, body } = await ready(app);
      expect(status).toBe(200);
      expect(body.details.cometchat).toEqual({ status: 'up', unconfirmed: [BOT_UID] });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('checks nothing where no reply is sent to CometChat: APP_ROLE=api, and sandbox mode', async () => {
    cometchat.botsApiKey = 'not-the-key-it-is-given';
    const api = await start('bots-ops-api', { COMETCHAT_API_URL: cometchat.url, APP_ROLE: 'api' });
    const sandbox = await start('bots-ops-sandbox', { COMETCHAT_API_URL: cometchat.url, COMETCHAT_API_KEY: '' });
    for (const app of [api, sandbox]) {
      const { status, body } = await ready(app);
      expect(status).toBe(200);
      expect(body.details).not.toHaveProperty('cometchat');
    }
    expect(cometchat.calls).toEqual([]);
  });
});
