import { Queue } from 'bullmq';
import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { PrivateRedis } from './support/private-redis';
import { freePort, ServiceProcess } from './support/service-process';
import { basicAuth, deleteKeys, REDIS_URL, testEnv } from './support/test-app';
import { waitFor } from './support/wait-for';

/** The process as operators run it: configuration errors, SIGTERM drain and a SIGKILL mid-job. */
describe('service process', () => {
  let cometchat: FakeCometChat;
  const started: ServiceProcess[] = [];
  const prefixes: string[] = [];
  const queues: Queue[] = [];

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterEach(async () => {
    for (const service of started.splice(0)) {
      service.kill('SIGKILL');
      await service.exited();
    }
    for (const queue of queues.splice(0)) await queue.close();
    for (const prefix of prefixes.splice(0)) await deleteKeys(prefix);
  });
  afterAll(() => cometchat.stop());

  async function start(name: string, overrides: Record<string, string> = {}, env: Record<string, string> = testEnv(name), script?: string) {
    const all: Record<string, string> = { ...env, COMETCHAT_API_URL: cometchat.url, PORT: String(await freePort()), LOG_LEVEL: 'info', ...overrides };
    prefixes.push(all.QUEUE_PREFIX);
    const service = ServiceProcess.spawn(all, script);
    started.push(service);
    await waitFor('the service to listen', () => service.output.includes('listening on'), { timeoutMs: 30_000 });
    return { service, env: all };
  }

  const post = (service: ServiceProcess, body: unknown) =>
    fetch(`${service.url}/webhooks/cometchat`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const repliesQueue = (prefix: string) => {
    const queue = new Queue('replies', { connection: { url: REDIS_URL }, prefix });
    queue.on('error', () => undefined);
    queues.push(queue);
    return queue;
  };

  /** Posts a message whose reply CometChat holds (answerNext hang); resolves once the send is in flight. */
  async function hangASend(service: ServiceProcess) {
    const callback = fixture('user-text');
    cometchat.answerNext({ hang: true });
    await post(service, callback);
    await waitFor('the reply to hang', () => cometchat.calls.some((c) => c.body.muid === `reply-${callback.data.id}-0`));
    return callback;
  }

  /** SIGTERM to an embedded app (test/support/embedded-app.ts), which answers it with app.close() and no exit. */
  async function closeEmbedded(service: ServiceProcess) {
    service.kill('SIGTERM');
    await waitFor('app.close() to return', () => service.output.includes('app closed'), { timeoutMs: 15_000 });
  }

  it('refuses to start on bad configuration, naming every bad variable, without a stack trace', async () => {
    // Live mode asked for: without it, a missing API key would mean sandbox mode.
    const service = ServiceProcess.spawn({ PORT: '0', COMETCHAT_MODE: 'live', COMETCHAT_REGION: 'mars', BOT_UID: 'support-bot' });
    started.push(service);
    const { code } = await service.exited();
    expect(code).toBe(1);
    for (const name of ['WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD', 'COMETCHAT_APP_ID', 'COMETCHAT_API_KEY']) {
      expect(service.output).toContain(`${name} is required`);
    }
    expect(service.output).toContain('COMETCHAT_REGION must be one of: us, eu, in');
    expect(service.output).not.toContain('BOT_UID');
    expect(service.output).not.toMatch(/\n\s+at /);
  });

  it('on SIGTERM stops intake, lets the in-flight job finish, and exits 0', async () => {
    const { service, env } = await start('sigterm');
    const callback = fixture('user-text');
    cometchat.answerNext({ status: 200, delayMs: 1500 });
    expect(await (await post(service, callback)).json()).toMatchObject({ status: 'accepted' });
    await waitFor('the reply to be in flight', () => cometchat.calls.some((c) => c.body.muid === `reply-${callback.data.id}-0`));

    service.kill('SIGTERM');
    await waitFor('the drain to begin', () => service.output.includes('SIGTERM'));
    await expect(post(service, fixture('user-text'))).rejects.toThrow();

    const { code } = await service.exited();
    expect(code).toBe(0);
    const job = await repliesQueue(env.QUEUE_PREFIX).getJob(`reply-${callback.data.id}-0`);
    expect(await job!.getState()).toBe('completed');
  });

  it('bounds the drain: a job that will not finish does not hold the exit past the grace period', async () => {
    const { service } = await start('sigterm-bound', { SHUTDOWN_GRACE_MS: '1000' });
    await hangASend(service);

    const sent = Date.now();
    service.kill('SIGTERM');
    const { code } = await service.exited();
    expect(code).toBe(0);
    expect(Date.now() - sent).toBeLessThan(6000);
    cometchat.releaseHanging();
  });

  it('closes for good with Redis gone mid-job: a process embedding the app ends by itself after app.close()', async () => {
    const redis = await PrivateRedis.start();
    try {
      const { service } = await start('embedded', { REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: '1000' }, undefined, 'test/support/embedded-app.ts');
      await hangASend(service);
      await redis.stop();

      await closeEmbedded(service);
      // Nothing of the app is left to keep the process alive: no worker renewing its locks, no connection retrying.
      expect(await service.exited(10_000)).toEqual({ code: 0, signal: null });
    } finally {
      cometchat.releaseHanging();
      await redis.stop();
    }
  });

  it('closes for good when a job outlives the grace and ends later: a process embedding the app still ends by itself', async () => {
    const { service } = await start('embedded-late', { SHUTDOWN_GRACE_MS: '1000' }, undefined, 'test/support/embedded-app.ts');
    await hangASend(service);

    await closeEmbedded(service);
    cometchat.releaseHanging(); // the send ends after the close: nothing of the worker may come back to life for it
    expect(await service.exited(10_000)).toEqual({ code: 0, signal: null });
  });

  it('loses nothing to a SIGKILL mid-job: the job runs again after a restart', async () => {
    const env = testEnv('sigkill');
    const lock = { JOB_LOCK_MS: '2000' };
    const first = await start('sigkill', lock, env);
    const callback = await hangASend(first.service);

    first.service.kill('SIGKILL');
    expect((await first.service.exited()).signal).toBe('SIGKILL');
    cometchat.releaseHanging();

    await start('sigkill', lock, env);
    const delivered = () => cometchat.calls.filter((c) => c.body.muid === `reply-${callback.data.id}-0` && c.answer === 200);
    await waitFor('the reply to be sent after the restart', () => delivered().length === 1, { timeoutMs: 20_000 });
    const job = await repliesQueue(env.QUEUE_PREFIX).getJob(`reply-${callback.data.id}-0`);
    await waitFor('the job to complete', async () => (await job!.getState()) === 'completed');
  });

  it('posts a reply once through a SIGKILL after CometChat stored it but before its answer came back', async () => {
    const env = testEnv('sigkill-stored');
    const lock = { JOB_LOCK_MS: '2000' };
    const first = await start('sigkill-stored', lock, env);
    const callback = fixture('user-text');
    const muid = `reply-${callback.data.id}-0`;
    let answer!: () => void;
    cometchat.answerNext({ status: 200, until: new Promise<void>((resolve) => (answer = resolve)) });
    await post(first.service, callback);
    await waitFor('CometChat to store the reply', () => cometchat.messages.some((m) => m.muid === muid));

    first.service.kill('SIGKILL');
    await first.service.exited();
    const killedAt = Date.now();
    answer(); // its 200 goes to a process that is gone

    await start('sigkill-stored', lock, env);
    const job = await repliesQueue(env.QUEUE_PREFIX).getJob(muid);
    await waitFor('the recovered job to complete', async () => (await job!.getState()) === 'completed', { timeoutMs: 20_000 });
    expect(cometchat.messages.filter((m) => m.muid === muid)).toHaveLength(1);
    expect(cometchat.calls.filter((c) => c.method === 'POST' && c.body.muid === muid)).toHaveLength(1);
    // One look, in the conversation, for the bot's own messages since the reply was queued.
    const looks = cometchat.calls.filter(
      (c) => c.method === 'GET' && c.at >= killedAt && c.path.startsWith(`/v3/users/${callback.data.sender}/messages?`),
    );
    expect(looks).toHaveLength(1);
    expect(looks[0].headers.onbehalfof).toBe(env.BOT_UID);
    expect((await repliesQueue(env.QUEUE_PREFIX).getJob(muid))!.returnvalue).toEqual({
      messageId: cometchat.messages.find((m) => m.muid === muid)!.id,
      alreadySent: true,
    });
  });

  it("keeps the conversation's turn through a SIGKILL: the next reply goes only after the recovered one", async () => {
    const env = testEnv('sigkill-order');
    const lock = { JOB_LOCK_MS: '2000' };
    const first = await start('sigkill-order', lock, env);
    const hung = fixture('user-text');
    const next = fixture('user-text'); // the same sender: one conversation
    cometchat.answerNext({ hang: true });
    await post(first.service, hung);
    await waitFor('the first reply to hang', () => cometchat.calls.some((c) => c.body.muid === `reply-${hung.data.id}-0`));
    expect(await (await post(first.service, next)).json()).toMatchObject({ status: 'accepted' });

    first.service.kill('SIGKILL');
    await first.service.exited();
    cometchat.releaseHanging();
    await start('sigkill-order', lock, env);

    const sent = (id: string) => cometchat.calls.filter((c) => c.body.muid === `reply-${id}-0`);
    await waitFor('both replies', () => sent(next.data.id).some((c) => c.answer === 200), { timeoutMs: 20_000 });
    const recovered = sent(hung.data.id).find((c) => c.answer === 200)!;
    // The next reply was never sent while the first was in flight or waiting for its recovery.
    expect(sent(next.data.id).every((c) => c.at >= recovered.at)).toBe(true);
  });

  it('APP_ROLE=api only stores; a separate APP_ROLE=worker process answers', async () => {
    const env = testEnv('roles');
    const api = await start('roles', { APP_ROLE: 'api' }, env);
    const callback = fixture('group-mention');
    expect(await (await post(api.service, callback)).json()).toMatchObject({ status: 'accepted' });

    const worker = await start('roles', { APP_ROLE: 'worker' }, env);
    expect((await post(worker.service, fixture('user-text'))).status).toBe(404);
    await waitFor('the worker to answer', () => cometchat.calls.some((c) => c.body.muid === `reply-${callback.data.id}-0`));
  });
});
