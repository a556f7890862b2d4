import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { PrivateRedis } from './support/private-redis';
import { freePort, ServiceProcess } from './support/service-process';
import { basicAuth, deleteKeys, testEnv } from './support/test-app';
import { waitFor } from './support/wait-for';

// Known secrets, each unlike anything else the service prints, so finding one in its output can only be a leak.
const SECRETS = {
  WEBHOOK_PASSWORD: 'wh-secret-Zq81xLp4',
  COMETCHAT_API_KEY: 'cc-secret-Vv93kPq7',
  ADMIN_PASSWORD: 'admin-secret-Rr27wNc5',
  REDIS_PASSWORD: 'redis-secret-Hh46tGm2',
};
const ADMIN_USERNAME = 'ops';
const WRONG_PASSWORD = 'wrong-secret-Kk58yBd1';
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

type Line = Record<string, any> & { level: string; time: string; msg: string };

const linesOf = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Line);

/**
 * The service as operators run it (its own process, LOG_LEVEL=info), its stdout read as a log pipeline would: a full
 * run of accepted, duplicate, ignored and refused callbacks, a send retried and one refused, a Redis outage, then
 * SIGTERM. Redis requires a password here, so every credential the service holds is in play.
 */
describe('structured logs', () => {
  let cometchat: FakeCometChat;
  let redis: PrivateRedis;
  let service: ServiceProcess;
  let env: Record<string, string>;
  const lines = () => linesOf(service.stdout.slice(0, service.stdout.lastIndexOf('\n') + 1));
  const named = (msg: string) => lines().filter((line) => line.msg === msg);

  const post = (
    body: unknown,
    { authorization = basicAuth('cometchat', SECRETS.WEBHOOK_PASSWORD), requestId }: { authorization?: string; requestId?: string } = {},
  ) =>
    fetch(`${service.url}/webhooks/cometchat`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    redis = await PrivateRedis.start([], { password: SECRETS.REDIS_PASSWORD });
    env = {
      ...testEnv('logs'),
      WEBHOOK_USERNAME: 'cometchat',
      WEBHOOK_PASSWORD: SECRETS.WEBHOOK_PASSWORD,
      COMETCHAT_API_KEY: SECRETS.COMETCHAT_API_KEY,
      COMETCHAT_API_URL: cometchat.url,
      ADMIN_USERNAME,
      ADMIN_PASSWORD: SECRETS.ADMIN_PASSWORD,
      REDIS_URL: redis.url,
      RETRY_BACKOFF_MS: '100',
      LOG_LEVEL: 'info',
      PORT: String(await freePort()),
    };
    service = ServiceProcess.spawn(env);
    await waitFor('the service to listen', () => service.output.includes('listening on'), { timeoutMs: 30_000 });
  });

  afterAll(async () => {
    if (service) {
      service.kill('SIGKILL');
      await service.exited();
    }
    await redis?.stop();
    await cometchat?.stop();
  });

  let accepted: any;
  let refusedForGood: any;

  it('writes one line per webhook request, with its status, outcome, message id, conversation, latency and request id', async () => {
    // Its reply meets a 500 once, then goes (the next test reads those lines).
    cometchat.answerNext({ status: 500, body: { error: 'down' } });
    accepted = fixture('user-text');
    expect((await post(accepted, { requestId: 'logs-accepted-1' })).status).toBe(200);
    expect(await (await post(accepted, { requestId: 'logs-duplicate-1' })).json()).toMatchObject({ status: 'duplicate' });
    const ignored = fixture('bot-own-message');
    expect(await (await post(ignored)).json()).toMatchObject({ status: 'ignored' });
    const unauthorised = fixture('user-text');
    expect((await post(unauthorised, { authorization: basicAuth('cometchat', WRONG_PASSWORD) })).status).toBe(401);
    expect((await post({ trigger: 'after_message', data: { id: 'not-a-callback' } }, { requestId: 'logs-invalid-1' })).status).toBe(400);

    const requests = await waitFor('five request lines', () => (named('webhook request').length === 5 ? named('webhook request') : null));
    expect(requests).toEqual([
      expect.objectContaining({ level: 'info', status: 200, outcome: 'accepted', messageId: accepted.data.id, requestId: 'logs-accepted-1' }),
      expect.objectContaining({ level: 'info', status: 200, outcome: 'duplicate', messageId: accepted.data.id, requestId: 'logs-duplicate-1' }),
      expect.objectContaining({ level: 'info', status: 200, outcome: 'ignored', messageId: ignored.data.id, reason: 'own-message' }),
      expect.objectContaining({ level: 'info', status: 401, outcome: 'refused', messageId: unauthorised.data.id }),
      expect.objectContaining({ level: 'info', status: 400, outcome: 'refused', messageId: 'not-a-callback', requestId: 'logs-invalid-1' }),
    ]);
    expect(requests[0]).toMatchObject({ context: 'Webhook', conversation: `user-${accepted.data.sender}` });
    for (const line of requests) expect(line.latencyMs).toEqual(expect.any(Number));
    // Without x-request-id, Fastify's own id: one per request.
    expect(requests[2].requestId).toEqual(expect.any(String));
    expect(requests[3].requestId).toEqual(expect.any(String));
    expect(requests[2].requestId).not.toBe(requests[3].requestId);
    expect(requests[3].reason).toMatch(/Basic Auth/);
    expect(requests[4].reason).toMatch(/data\./);
  });

  it('writes one line per turn and per send, and each retry or permanent failure once, with its reason', async () => {
    // The accepted message's reply met a 500 once, then went; another message's reply is refused for good (404).
    const sent = await waitFor('the reply sent', () => named('send').find((line) => line.outcome === 'sent'));
    expect(sent).toMatchObject({
      level: 'info',
      context: 'RepliesProcessor',
      replyId: `reply-${accepted.data.id}-0`,
      muid: `reply-${accepted.data.id}-0`,
      status: 200,
      attempt: 2,
      conversation: `user-${accepted.data.sender}`,
    });
    cometchat.answerNext({ status: 404, body: { error: { code: 'ERR_UID_NOT_FOUND' } } });
    refusedForGood = fixture('user-text');
    expect((await post(refusedForGood)).status).toBe(200);
    await waitFor('the refused send', () => named('send').find((line) => line.outcome === 'failed'));

    expect(named('turn')).toEqual([
      expect.objectContaining({ level: 'info', messageId: accepted.data.id, responder: 'echo', replies: 1, outcome: 'answered', attempt: 1 }),
      expect.objectContaining({ level: 'info', messageId: refusedForGood.data.id, responder: 'echo', replies: 1, outcome: 'answered' }),
    ]);
    for (const turn of named('turn')) expect(turn.durationMs).toEqual(expect.any(Number));
    expect(named('send')).toEqual([
      expect.objectContaining({
        level: 'warn',
        replyId: `reply-${accepted.data.id}-0`,
        muid: `reply-${accepted.data.id}-0`,
        status: 500,
        attempt: 1,
        outcome: 'retrying',
      }),
      expect.objectContaining({ level: 'info', replyId: `reply-${accepted.data.id}-0`, status: 200, attempt: 2, outcome: 'sent' }),
      expect.objectContaining({
        level: 'error',
        replyId: `reply-${refusedForGood.data.id}-0`,
        muid: `reply-${refusedForGood.data.id}-0`,
        status: 404,
        attempt: 1,
        outcome: 'failed',
      }),
    ]);
    const [retried, , failed] = named('send');
    expect(retried.reason).toMatch(/CometChat answered 500/);
    expect(failed.reason).toMatch(/CometChat answered 404/);
  });

  it('logs Redis lost once and restored once, however many reconnect attempts lie between', async () => {
    const port = redis.port;
    await redis.stop();
    await waitFor('the loss logged', () => named('Redis connection lost').length > 0);
    // Webhooks during the outage are refused (503), each on its own request line with the reason.
    expect((await post(fixture('user-text'))).status).toBe(503);
    // The outage lasts long enough for several reconnect attempts of every connection (200 ms, 400 ms, ...).
    const until = Date.now() + 3000;
    await waitFor('the outage to last 3 s', () => Date.now() > until, { timeoutMs: 5000 });
    redis = await PrivateRedis.start([], { port, password: SECRETS.REDIS_PASSWORD });
    await waitFor('the restoration logged', () => named('Redis connection restored').length > 0, { timeoutMs: 15_000 });
    const after = fixture('user-text');
    await waitFor('a callback stored again', async () => (await post(after)).status === 200, { timeoutMs: 15_000 });
    await waitFor('its reply sent', () => named('send').some((line) => line.muid === `reply-${after.data.id}-0` && line.outcome === 'sent'));

    expect(named('Redis connection lost')).toEqual([expect.objectContaining({ level: 'warn', context: 'Redis', reason: expect.any(String) })]);
    expect(named('Redis connection restored')).toEqual([expect.objectContaining({ level: 'info', context: 'Redis', downMs: expect.any(Number) })]);
    expect(named('Redis error')).toEqual([]);
    const refused = named('webhook request').filter((line) => line.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]).toMatchObject({ level: 'warn', outcome: 'refused', reason: expect.stringMatching(/events queue unavailable/) });
  });

  it('prints only JSON lines, each with an ISO time to the millisecond, a level and a message, and never a credential', async () => {
    // Through the dashboard too: its Basic Auth is another credential in the run.
    expect(
      (await fetch(`${service.url}/admin/queues/api/queues`, { headers: { authorization: basicAuth(ADMIN_USERNAME, SECRETS.ADMIN_PASSWORD) } }))
        .status,
    ).toBe(200);
    service.kill('SIGTERM');
    expect((await service.exited()).code).toBe(0);

    const all = linesOf(service.stdout);
    expect(all.length).toBeGreaterThan(20);
    for (const line of all) {
      expect(line.time).toMatch(ISO_MS);
      expect(LEVELS).toContain(line.level);
      expect(typeof line.msg).toBe('string');
    }
    expect(all.some((line) => line.context === 'main' && line.msg.startsWith('listening on'))).toBe(true);
    expect(all.some((line) => line.context === 'main' && line.msg.startsWith('SIGTERM'))).toBe(true);

    const printed = service.output;
    const forbidden = [
      ...Object.values(SECRETS),
      WRONG_PASSWORD,
      basicAuth('cometchat', SECRETS.WEBHOOK_PASSWORD),
      basicAuth('cometchat', SECRETS.WEBHOOK_PASSWORD).replace(/^Basic /, ''),
      basicAuth('cometchat', WRONG_PASSWORD).replace(/^Basic /, ''),
      basicAuth(ADMIN_USERNAME, SECRETS.ADMIN_PASSWORD).replace(/^Basic /, ''),
      encodeURIComponent(SECRETS.REDIS_PASSWORD),
    ];
    for (const secret of forbidden) expect({ secret, found: printed.includes(secret) }).toEqual({ secret, found: false });
  });
});

describe('LOG_FORMAT=pretty', () => {
  let cometchat: FakeCometChat;
  let service: ServiceProcess | undefined;
  const env = testEnv('logs-pretty');

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterAll(async () => {
    if (service) {
      service.kill('SIGKILL');
      await service.exited();
    }
    await deleteKeys(env.QUEUE_PREFIX);
    await cometchat.stop();
  });

  it('prints lines for a person: time, level and message, not JSON', async () => {
    service = ServiceProcess.spawn({
      ...env,
      COMETCHAT_API_URL: cometchat.url,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'pretty',
      PORT: String(await freePort()),
    });
    await waitFor('the service to listen', () => service!.stdout.includes('listening on'), { timeoutMs: 30_000 });
    const callback = fixture('user-text');
    const response = await fetch(`${service.url}/webhooks/cometchat`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body: JSON.stringify(callback),
    });
    expect(response.status).toBe(200);
    const line = await waitFor('the request line', () => service!.stdout.split('\n').find((l) => l.includes('webhook request')));

    // e.g. [03:38:32.852] INFO: Webhook: webhook request, then its fields indented below.
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Webhook: webhook request$/);
    expect(() => JSON.parse(line)).toThrow();
    expect(service.stdout).toContain(`messageId: "${callback.data.id}"`);
    expect(service.stdout.split('\n').filter((l) => l.trim().startsWith('{"level"'))).toEqual([]);
  });
});
