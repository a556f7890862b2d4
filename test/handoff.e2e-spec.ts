import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_HANDOFF_TEXT } from '../src/config/env.validation';
import { ALREADY_HERE_TEXT, BACK_TEXT } from '../src/handoff/resume.responder';
import { FakeCometChat } from './support/fake-cometchat';
import { FakeModelServer, lastUserText } from './support/fake-openai';
import { directText } from './support/fixtures';
import { Scrape } from './support/prometheus-text';
import { freePort, ServiceProcess } from './support/service-process';
import { basicAuth, BOT_UID, deleteKeys, TestApp, testEnv } from './support/test-app';
import { waitFor } from './support/wait-for';

// CLI runs are fresh Node processes compiling TypeScript (seconds each), and one test restarts a service process.
jest.setTimeout(120_000);

const NOTIFY_GROUP = 'support-team';
const HANDOFFS = 'cometchat_bot_handoffs_total';
const HANDED_OFF = 'cometchat_bot_handed_off_conversations';
const RESUMES = 'cometchat_bot_handoff_resume_seconds_count';

const ROOT = join(__dirname, '..');
const TS_NODE = require.resolve('ts-node/register/transpile-only');

/** The CLI as an operator runs it (see cli.e2e-spec.ts): its own process, only the environment given. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', TS_NODE, join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A one-to-one text from `uid`, whose name is `name`. */
function from(text: string, uid: string, name = uid) {
  const callback = directText(text, uid);
  callback.data.data.entities.sender.entity.name = name;
  return callback;
}

/** What the bot said to one user, in order. */
const saidTo = (cometchat: FakeCometChat, uid: string) => cometchat.messages.filter((m) => m.receiver === uid).map((m) => m.data?.text);
const transcripts = (cometchat: FakeCometChat) => cometchat.messages.filter((m) => m.receiver === NOTIFY_GROUP && m.receiverType === 'group');

describe('handing a conversation to people (/human, /bot, the transcript, the CLI, the metrics)', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;
  const scrape = async () => new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body);

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start('handoff', { COMETCHAT_API_URL: cometchat.url, HANDOFF_NOTIFY: `group:${NOTIFY_GROUP}` });
  });
  afterAll(async () => {
    await app?.close();
    await cometchat.stop();
  });

  it('/human answers HANDOFF_TEXT and posts the transcript; later messages are accepted and unanswered; /bot brings the bot back', async () => {
    await app.post(from('my parcel https://track.example/123 never came', 'ho-ana', 'Ana'));
    await waitFor('the echo', () => saidTo(cometchat, 'ho-ana').length === 1);

    expect((await app.post(from('/human', 'ho-ana', 'Ana'))).json()).toMatchObject({ status: 'accepted' });
    await waitFor('HANDOFF_TEXT', () => saidTo(cometchat, 'ho-ana')[1] === DEFAULT_HANDOFF_TEXT);
    const [transcript] = await waitFor('the transcript', () => transcripts(cometchat).length === 1 && transcripts(cometchat));
    const lines = transcript.data!.text!.split('\n');
    expect(lines[0]).toContain('asked for a person in a one-to-one chat with ho-ana (conversation user-ho-ana)');
    expect(lines[0]).toMatch(/^Handoff: Ana \(ho-ana\) asked/);
    expect(lines).toContain('Ana: my parcel [link] never came');
    expect(lines).toContain(`${BOT_UID}: my parcel [link] never came`);
    expect(lines[lines.length - 1]).toMatch(/^Summary: Ana asked for a person after 1 message; the last: "my parcel \[link\] never came"$/);
    expect(transcript.data!.text).not.toMatch(/https?:|track\.example/);

    // Handed off: stored and accepted, answered by nobody.
    const later = await app.post(from('hello? anyone?', 'ho-ana'));
    expect(later.json()).toMatchObject({ status: 'accepted' });
    await app.drained();
    const job = (await app.jobs('events')).find((j) => j.data.data.id === later.json().id);
    expect(job?.returnvalue).toEqual({ replies: [] });
    expect(saidTo(cometchat, 'ho-ana')).toHaveLength(2);
    let metrics = await scrape();
    expect(metrics.count(HANDOFFS, { bot: BOT_UID })).toBe(1);
    expect(metrics.value(HANDED_OFF, { bot: BOT_UID })).toBe(1);

    await app.post(from('/bot', 'ho-ana'));
    await waitFor('the bot back', () => saidTo(cometchat, 'ho-ana')[2] === BACK_TEXT);
    await app.post(from('ping', 'ho-ana'));
    await waitFor('answered again', () => saidTo(cometchat, 'ho-ana')[3] === 'ping');
    await app.post(from('/bot', 'ho-ana'));
    await waitFor('already here', () => saidTo(cometchat, 'ho-ana')[4] === ALREADY_HERE_TEXT);
    metrics = await scrape();
    expect(metrics.value(HANDED_OFF, { bot: BOT_UID })).toBe(0);
    expect(metrics.count(RESUMES, { bot: BOT_UID, by: 'user' })).toBe(1);
    // /help lists both commands.
    await app.post(from('/help', 'ho-ana'));
    const help = await waitFor('/help', () => saidTo(cometchat, 'ho-ana')[5]);
    expect(help).toMatch(/\/human — /);
    expect(help).toMatch(/\/bot — /);
    expect(transcripts(cometchat)).toHaveLength(1);
  });

  it('`cli handoff list` shows the conversations handed off and since when; `cli handoff resume` gives one back', async () => {
    const started = Date.now();
    await app.post(from('/human', 'ho-ben', 'Ben'));
    await waitFor('HANDOFF_TEXT', () => saidTo(cometchat, 'ho-ben')[0] === DEFAULT_HANDOFF_TEXT);
    const env = { ...app.env };

    const listed = await cli(['handoff', 'list'], env);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/^1 conversation handed to people:\n {2}user-ho-ben {2}since (\S+) \(\d+ s ago\), asked by Ben \(ho-ben\)/);
    const since = Date.parse(/since (\S+)/.exec(listed.stdout)![1]);
    expect(since).toBeGreaterThanOrEqual(started - 1000);
    const json = JSON.parse((await cli(['handoff', 'list', '--json'], env)).stdout);
    expect(json).toEqual([expect.objectContaining({ conversation: 'user-ho-ben', by: { uid: 'ho-ben', name: 'Ben' } })]);

    const resumed = await cli(['handoff', 'resume', 'user-ho-ben'], env);
    expect(resumed).toMatchObject({ code: 0, stderr: '' });
    expect(resumed.stdout).toMatch(/^user-ho-ben is back with the bot \(it was with people for \d+ s/);
    await app.post(from('are you back?', 'ho-ben'));
    await waitFor('answered again', () => saidTo(cometchat, 'ho-ben')[1] === 'are you back?');

    // Not handed off (any more): a clear message and the not-found code; a malformed name is a usage error.
    const again = await cli(['handoff', 'resume', 'user-ho-ben'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/conversation user-ho-ben is not handed to people/);
    const bad = await cli(['handoff', 'resume', 'ho-ben'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"ho-ben" is not a conversation/);
    expect((await cli(['handoff', 'list'], env)).stdout).toBe('No conversation is handed to people.\n');
    // The CLI has no metrics: the service's next scrape counts its resume.
    expect((await scrape()).count(RESUMES, { bot: BOT_UID, by: 'cli' })).toBe(1);
  });
});

describe('a handoff times out (HANDOFF_TIMEOUT_MS)', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start('handoff-timeout', { COMETCHAT_API_URL: cometchat.url, HANDOFF_TIMEOUT_MS: '1500' });
  });
  afterAll(async () => {
    await app?.close();
    await cometchat.stop();
  });

  it('the bot answers again once HANDOFF_TIMEOUT_MS has passed, and the timeout is counted', async () => {
    await app.post(from('/human', 'ho-cy'));
    await waitFor('HANDOFF_TEXT', () => saidTo(cometchat, 'ho-cy')[0] === DEFAULT_HANDOFF_TEXT);
    // Without HANDOFF_NOTIFY there is no transcript, and no lines are kept for one.
    expect(cometchat.messages.filter((m) => m.receiverType === 'group')).toHaveLength(0);
    expect(await app.redis().keys(`${app.prefix}:handoff-lines:*`)).toEqual([]);
    await app.post(from('still nobody', 'ho-cy'));
    await app.drained();
    expect(saidTo(cometchat, 'ho-cy')).toHaveLength(1);

    await waitFor('the handoff to expire', async () => (await app.redis().exists(`${app.prefix}:handoff:user-ho-cy`)) === 0, { timeoutMs: 5000 });
    await app.post(from('hello again', 'ho-cy'));
    await waitFor('answered again', () => saidTo(cometchat, 'ho-cy')[1] === 'hello again');
    const metrics = new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metrics.count(RESUMES, { bot: BOT_UID, by: 'timeout' })).toBe(1);
    expect(metrics.value(HANDED_OFF, { bot: BOT_UID })).toBe(0);
  });
});

describe("the LLM's handoff tool", () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    // Asked for a refund, the model hands off (the tool's one call); anything else it answers.
    model.answer = (body) =>
      lastUserText(body).includes('refund') && body.messages[body.messages.length - 1].role !== 'tool'
        ? { toolCall: { name: 'handoff', args: { summary: 'Wants a refund for order 5521, see https://shop.example/5521' } } }
        : { text: `model says: ${lastUserText(body)}` };
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await model.stop();
    await cometchat.stop();
  });

  const start = async (name: string, extra: Record<string, string> = {}) => {
    const app = await TestApp.start(name, {
      COMETCHAT_API_URL: cometchat.url,
      LLM_MODEL: 'fake-model',
      LLM_BASE_URL: model.url,
      LLM_API_KEY: 'k',
      ...extra,
    });
    apps.push(app);
    return app;
  };

  it("hands the conversation off as /human does: the user is told HANDOFF_TEXT, the transcript ends with the model's summary", async () => {
    const app = await start('handoff-tool', { HANDOFF_NOTIFY: `group:${NOTIFY_GROUP}` });
    await app.post(from('hello', 'ho-dee'));
    await waitFor('the first answer', () => saidTo(cometchat, 'ho-dee')[0] === 'model says: hello');
    await app.post(from('I want a refund', 'ho-dee'));
    await waitFor('HANDOFF_TEXT', () => saidTo(cometchat, 'ho-dee')[1] === DEFAULT_HANDOFF_TEXT);
    const [transcript] = await waitFor('the transcript', () => transcripts(cometchat).length === 1 && transcripts(cometchat));
    const lines = transcript.data!.text!.split('\n');
    expect(lines).toContain('ho-dee: hello');
    expect(lines).toContain(`${BOT_UID}: model says: hello`);
    expect(lines[lines.length - 1]).toBe('Summary: Wants a refund for order 5521, see [link]');
    // The model was not called again after the tool: the answer ended with it.
    expect(model.about('I want a refund')).toHaveLength(1);

    await app.post(from('hello?', 'ho-dee'));
    await app.drained();
    expect(saidTo(cometchat, 'ho-dee')).toHaveLength(2);
    expect(model.about('hello?')).toHaveLength(0);
  });

  it('is not offered without HANDOFF_NOTIFY', async () => {
    const app = await start('handoff-no-tool');
    await app.post(from('what can you do', 'ho-eve'));
    await waitFor('the answer', () => saidTo(cometchat, 'ho-eve').length === 1);
    const [request] = model.about('what can you do');
    expect((request.body.tools ?? []).map((t: any) => t.function.name)).not.toContain('handoff');
  });
});

describe('a handoff holds across processes and a restart', () => {
  let cometchat: FakeCometChat;
  const started: ServiceProcess[] = [];
  let prefix: string;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterAll(async () => {
    for (const service of started) {
      service.kill('SIGKILL');
      await service.exited();
    }
    if (prefix) await deleteKeys(prefix);
    await cometchat.stop();
  });

  async function start(env: Record<string, string>, role: 'api' | 'worker') {
    const service = ServiceProcess.spawn({ ...env, APP_ROLE: role, PORT: String(await freePort()) });
    started.push(service);
    await service.ready();
    return service;
  }
  const post = async (service: ServiceProcess, body: unknown) =>
    (
      await fetch(`${service.url}/webhooks/cometchat`, {
        method: 'POST',
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json();

  it('the api process takes the messages, a worker hands off; a new worker after a restart keeps the bot silent until /bot', async () => {
    const env: Record<string, string> = {
      ...testEnv('handoff-processes'),
      COMETCHAT_API_URL: cometchat.url,
      HANDOFF_NOTIFY: `user:ho-agent`,
      LOG_LEVEL: 'info',
    };
    prefix = env.QUEUE_PREFIX;
    const api = await start(env, 'api');
    const first = await start(env, 'worker');

    expect(await post(api, from('/human', 'ho-fay'))).toMatchObject({ status: 'accepted' });
    await waitFor('HANDOFF_TEXT', () => saidTo(cometchat, 'ho-fay')[0] === DEFAULT_HANDOFF_TEXT, { timeoutMs: 20_000 });
    // HANDOFF_NOTIFY=user:…: the transcript goes to that user, one to one.
    await waitFor('the transcript', () => cometchat.messages.some((m) => m.receiver === 'ho-agent' && m.receiverType === 'user'));

    first.kill('SIGTERM');
    expect((await first.exited()).code).toBe(0);
    const second = await start(env, 'worker');
    expect(await post(api, from('is anyone there?', 'ho-fay'))).toMatchObject({ status: 'accepted' });
    await waitFor('the turn, handed off', () => /"outcome":"handed-off"/.test(second.output), { timeoutMs: 20_000 });
    expect(saidTo(cometchat, 'ho-fay')).toHaveLength(1);

    await post(api, from('/bot', 'ho-fay'));
    await waitFor('the bot back', () => saidTo(cometchat, 'ho-fay')[1] === BACK_TEXT, { timeoutMs: 20_000 });
    expect(cometchat.messages.filter((m) => m.receiver === 'ho-agent')).toHaveLength(1);
  });
});
