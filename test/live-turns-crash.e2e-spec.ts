import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeCometChat } from './support/fake-cometchat';
import { FakeModelServer, lastUserText } from './support/fake-openai';
import { fixture } from './support/fixtures';
import { freePort, ServiceProcess } from './support/service-process';
import { basicAuth, BOT_UID, deleteKeys, REDIS_URL, testEnv } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Twenty sentences, written one every 700 ms: a 14-second answer, so a SIGKILL after its first edit lands mid-answer. */
const SENTENCES = Array.from({ length: 20 }, (_, n) => `Sentence number ${n + 1} of the long answer.`);
const ANSWER = SENTENCES.join(' ');
const PIECE_DELAY_MS = 700;

/**
 * How long the retried turn may take to finish the answer after the restart, at the shipped defaults: JOB_LOCK_MS
 * (20 s) for the dead worker's lock to lapse, up to half of it (10 s) for a stalled-jobs check to find the turn, the
 * model's 14 s again, the last edit's STREAM_EDIT_INTERVAL_MS, and a loaded 2-core machine.
 */
const RECOVERY_WAIT_MS = 100_000;

/**
 * docs/live-turns.md "Exactly once, through any crash", at the SHIPPED DEFAULTS (JOB_LOCK_MS, the stalled-jobs check,
 * PROGRESS_AFTER_MS and STREAM_EDIT_INTERVAL_MS as a deployment has them): a worker SIGKILLed while a streamed answer
 * is being written and edited; the turn runs again in a new process, which edits the same message to the whole answer.
 * One message, one POST; the model is called again (at-least-once).
 */
describe('live turns through a SIGKILL mid-answer (two service processes, shipped defaults)', () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  let env: Record<string, string>;
  const services: ServiceProcess[] = [];
  const queues: Queue[] = [];

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    model.answer = () => ({ text: ANSWER, pieces: SENTENCES.map((s, n) => (n === 0 ? s : ` ${s}`)), pieceDelayMs: PIECE_DELAY_MS });
    env = testEnv('live-crash', {
      COMETCHAT_API_URL: cometchat.url,
      LLM_MODEL: 'fake-model',
      LLM_BASE_URL: model.url,
      LLM_API_KEY: 'model-key',
      // The turn and send lines, kept for a failure's report.
      LOG_LEVEL: 'info',
    });
  });

  afterAll(async () => {
    for (const service of services) {
      if (service.running) service.kill('SIGKILL');
      await service.exited();
    }
    for (const queue of queues) await queue.close().catch(() => undefined);
    await model?.stop();
    await cometchat?.stop();
    if (env) await deleteKeys(env.QUEUE_PREFIX);
  });

  /** A new process on the test's prefix (the same env, a new port), once GET /health/ready answers 200. */
  async function start(): Promise<ServiceProcess> {
    const service = ServiceProcess.spawn({ ...env, PORT: String(await freePort()) });
    services.push(service);
    await service.ready(60_000);
    return service;
  }

  const queue = (name: 'events' | 'replies') => {
    const q = new Queue(name, { connection: { url: REDIS_URL }, prefix: env.QUEUE_PREFIX });
    q.on('error', () => undefined);
    queues.push(q);
    return q;
  };

  /** Jobs of both queues still to run (waiting, active, delayed, prioritized). */
  async function pending(events: Queue, replies: Queue): Promise<number> {
    const counts = await Promise.all([events, replies].map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')));
    return counts.flatMap((c) => Object.values(c)).reduce((sum, n) => sum + n, 0);
  }

  /** The failure, with where each process's whole output was written and its last lines. */
  function withOutput(error: unknown): Error {
    const failure = error instanceof Error ? error : new Error(String(error));
    const outputs = services.map((s, n) => {
      const file = join(tmpdir(), `live-turns-crash-${env.QUEUE_PREFIX}-${n + 1}.log`);
      writeFileSync(file, s.output);
      const lines = s.output.split('\n').filter((line) => line && !/"context":"(InstanceLoader|RoutesResolver|RouterExplorer)"/.test(line));
      return `--- process ${n + 1} (pid ${s.child.pid}, exit ${s.child.exitCode}, signal ${s.child.signalCode}), all of it in ${file}, last lines:\n${lines.slice(-25).join('\n')}`;
    });
    const calls = cometchat.calls.map(
      (c) => `${new Date(c.at).toISOString()} ${c.method} ${c.path} -> ${c.answer} ${JSON.stringify(c.body?.data?.text ?? '')}`,
    );
    failure.message = `${failure.message}\n\n--- CometChat calls:\n${calls.join('\n')}\n\n${outputs.join('\n')}`;
    return failure;
  }

  it('posts the answer once: the retried turn calls the model again and edits the same message to the whole answer', async () => {
    try {
      const sender = `crash-${randomBytes(3).toString('hex')}`;
      const callback = fixture('user-text');
      callback.data.sender = sender;
      callback.data.data.entities.sender.entity.uid = sender;
      callback.data.data.text = 'tell me everything, slowly';

      // 1. The first process takes the callback; its answer is posted early, then edited.
      const first = await start();
      const accepted = await fetch(`${first.url}/webhooks/cometchat`, {
        method: 'POST',
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        body: JSON.stringify(callback),
      });
      expect({ status: accepted.status, body: await accepted.json() }).toMatchObject({ status: 200, body: { status: 'accepted' } });

      const postsTo = () => cometchat.posts.filter((c) => c.body?.receiver === sender);
      const message = await waitFor('the early progress post', () => cometchat.messages.find((m) => m.receiver === sender), { timeoutMs: 30_000 });
      const editPath = `/v3/messages/${message.id}`;
      await waitFor('an edit of the posted message', () => cometchat.edits.some((c) => c.path === editPath), { timeoutMs: 30_000 });

      // 2. SIGKILL mid-answer: the model is still writing (its first stream has not ended), the message is not whole.
      expect(model.requests).toHaveLength(1);
      expect(model.requests[0].sent).toBeLessThan(SENTENCES.length);
      expect(cometchat.message(message.id)?.data?.text).not.toBe(ANSWER);
      first.kill('SIGKILL');
      expect((await first.exited()).signal).toBe('SIGKILL');
      const killedAt = Date.now();
      const callsBeforeKill = cometchat.calls.filter((c) => c.at < killedAt).length;

      // 3. A second process on the same prefix: the turn runs again once the dead worker's lock lapses.
      const second = await start();
      await waitFor('the stored message to hold the whole answer', () => cometchat.message(message.id)?.data?.text === ANSWER, {
        timeoutMs: RECOVERY_WAIT_MS,
        intervalMs: 200,
      });
      const completedAt = Date.now();
      // Nothing more is coming: every job of the turn has run (a late second post would be seen below).
      const events = queue('events');
      const replies = queue('replies');
      await waitFor('both queues to drain', async () => (await pending(events, replies)) === 0, { timeoutMs: 30_000, intervalMs: 200 });
      // Each job ended well: the turn, its post and every edit (a stalled one ran again, as BullMQ does).
      expect([await events.getJobCounts('completed', 'failed'), await replies.getJobCounts('failed')]).toEqual([
        { completed: 1, failed: 0 },
        { failed: 0 },
      ]);

      // One message, one 2xx POST, whatever the crash.
      expect(cometchat.messages.filter((m) => m.receiver === sender).map((m) => m.id)).toEqual([message.id]);
      expect(postsTo()).toHaveLength(1);
      expect(cometchat.calls.filter((c) => c.method === 'POST' && c.body?.receiver === sender && c.at >= killedAt)).toEqual([]);
      // The turn ran again: the model was called again (at-least-once), each call about the user's message.
      expect(model.requests.length).toBeGreaterThanOrEqual(2);
      expect(model.requests.filter((r) => r.at >= killedAt).length).toBeGreaterThanOrEqual(1);
      expect(new Set(model.requests.map((r) => lastUserText(r.body)))).toEqual(new Set([callback.data.data.text]));
      // Every edit, before and after the restart, is of that message, on behalf of the bot; the retried turn made some.
      const puts = cometchat.calls.filter((c) => c.method === 'PUT');
      expect(puts.map((c) => c.path).filter((path) => path !== editPath)).toEqual([]);
      for (const put of puts) expect(put.headers.onbehalfof).toBe(BOT_UID);
      const editsAfter = cometchat.edits.filter((c) => c.at >= killedAt);
      expect(editsAfter.length).toBeGreaterThanOrEqual(1);
      // The last edit holds exactly the whole answer, and so does the message.
      expect(editsAfter.at(-1)!.body.data.text).toBe(ANSWER);
      expect(cometchat.message(message.id)?.data?.text).toBe(ANSWER);
      // Every text the message showed was a part of the answer (or the progress text).
      for (const text of cometchat.message(message.id)!.texts ?? []) expect(text === '…' || ANSWER.startsWith(text ?? '')).toBe(true);

      // Neither process printed an unhandled rejection; the second still runs, and is still ready.
      for (const service of services) expect(service.output.split('\n').filter((line) => /unhandled/i.test(line))).toEqual([]);
      expect(second.running).toBe(true);
      expect((await fetch(`${second.url}/health/ready`)).status).toBe(200);

      console.log(
        `[live turns crash] ${JSON.stringify({
          killedAfterMs: killedAt - cometchat.posts.find((c) => c.body?.receiver === sender)!.at,
          recoveredInMs: completedAt - killedAt,
          modelCalls: model.requests.length,
          editsBeforeKill: cometchat.edits.filter((c) => c.at < killedAt).length,
          editsAfterKill: editsAfter.length,
          callsBeforeKill,
          callsAfterKill: cometchat.calls.length - callsBeforeKill,
          // Each call to CometChat, ms from the kill: method, status, the length of the text it carried.
          timeline: cometchat.calls.map((c) => `${c.at - killedAt} ${c.method} ${c.answer} ${c.body?.data?.text?.length ?? '-'}`),
          modelCallsAt: model.requests.map((r) => r.at - killedAt),
        })}`,
      );
    } catch (error) {
      throw withOutput(error);
    }
  }, 240_000);
});
