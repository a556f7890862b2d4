import { Queue } from 'bullmq';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploymentEnv, postCallback, startBuilt } from './support/built-service';
import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { PrivateRedis } from './support/private-redis';
import { PrivateSentinel } from './support/redis-topologies';
import { ServiceProcess } from './support/service-process';
import { deleteKeys, REDIS_URL } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Every fault docs/architecture.md "Guarantees" promises to survive, at the SHIPPED DEFAULTS, against the service as
 * users run it (`node dist/main.js`, only a deployment's variables set), for long enough to pass through every backoff window the
 * defaults produce: RETRY_BACKOFF_MS 1 s doubling to RETRY_BACKOFF_MAX_MS 60 s (also the send breaker's longest
 * window), COMETCHAT_TIMEOUT_MS 10 s, JOB_LOCK_MS 20 s (stalled jobs looked for every 10 s), REPLIES_CONCURRENCY 10.
 *
 * Each scenario has its own fake CometChat, QUEUE_PREFIX and service processes, so they run at once (the shared Redis
 * at REDIS_URL for CometChat's faults, private redis-servers for Redis's). Each checks that (a) no service process
 * exited on its own and none printed an unhandled rejection, (b) every accepted message's reply was posted exactly
 * once (one 2xx-answered POST per muid), (c) the last reply went within one backoff ceiling of the recovery.
 */

/** RETRY_BACKOFF_MAX_MS's default: the longest a reply's retry, or the breaker's window, waits. */
const BACKOFF_CEILING_MS = 60_000;
/**
 * Beyond the ceiling, for the last reply of a backlog: the probe that closes the breaker, BullMQ promoting the delayed
 * retries, each conversation's replies going one after another (four each here), and a loaded 2-core machine running
 * the other scenarios meanwhile.
 */
const MARGIN_MS = 5_000;
/** How long a scenario waits for the replies after a recovery: past the bound, so a late reply is reported, not timed out. */
const DELIVERY_WAIT_MS = BACKOFF_CEILING_MS + MARGIN_MS + 30_000;

/** `count` text messages from `senders` users (one conversation each), a sender's in increasing id order. */
const fromSenders = (tag: string, count: number, senders: number) =>
  Array.from({ length: count }, (_, n) => {
    const callback = fixture('user-text');
    callback.data.sender = `${tag}-user-${n % senders}`;
    return callback;
  });

const muid = (messageId: string) => `reply-${messageId}-0`;

/** Waits until `ms` have passed since `since`: how long a fault lasts (a timer is the point here, not a synchronisation). */
const lasting = (what: string, since: number, ms: number) =>
  waitFor(what, () => Date.now() - since >= ms, { timeoutMs: ms + 10_000, intervalMs: 250 });

type Connection = { url: string } | { sentinels: Array<{ host: string; port: number }>; name: string };

/** One scenario's fake CometChat, service processes and findings; its failures carry the processes' last output. */
class Scenario {
  readonly services: ServiceProcess[] = [];
  /** What the report says about the run, printed at the end whatever happened. */
  readonly facts: Record<string, unknown> = {};
  private readonly killed = new Set<ServiceProcess>();
  private repliesQueue?: Queue;

  private constructor(
    readonly name: string,
    readonly cometchat: FakeCometChat,
    private readonly env: Record<string, string>,
    private readonly connection: Connection,
  ) {}

  static async run(
    name: string,
    { redisUrl = REDIS_URL, env = {}, connection }: { redisUrl?: string; env?: Record<string, string | undefined>; connection?: Connection } = {},
    body: (scenario: Scenario) => Promise<void>,
  ): Promise<void> {
    const cometchat = await new FakeCometChat().start();
    const deployment = await deploymentEnv(name, { REDIS_URL: redisUrl, COMETCHAT_API_URL: cometchat.url, ...env });
    const scenario = new Scenario(name, cometchat, deployment, connection ?? { url: redisUrl });
    try {
      await body(scenario);
      scenario.expectSurvived();
    } catch (error) {
      throw scenario.withOutput(error);
    } finally {
      scenario.facts.processes = scenario.services.map((service) => ({
        pid: service.child.pid,
        exitCode: service.child.exitCode,
        signal: service.child.signalCode,
        killedByTest: scenario.killed.has(service),
        unhandledLines: service.output.split('\n').filter((line) => /unhandled/i.test(line)).length,
      }));
      console.log(`[faults at defaults] ${name}: ${JSON.stringify(scenario.facts)}`);
      await scenario.close(redisUrl === REDIS_URL && !env.REDIS_SENTINELS);
    }
  }

  get prefix(): string {
    return this.env.QUEUE_PREFIX;
  }

  /** A new `node dist/main.js` on this scenario's prefix, once ready. */
  async start(): Promise<ServiceProcess> {
    const service = await startBuilt({ ...this.env });
    this.services.push(service);
    return service;
  }

  /** The test's own SIGKILL of a process that was still running. */
  async kill(service: ServiceProcess): Promise<void> {
    expect({ pid: service.child.pid, running: service.running }).toEqual({ pid: service.child.pid, running: true });
    this.killed.add(service);
    service.kill('SIGKILL');
    expect((await service.exited()).signal).toBe('SIGKILL');
  }

  /** The newest process, which takes the posts. */
  get current(): ServiceProcess {
    return this.services[this.services.length - 1];
  }

  /** Posts each callback once; each must be accepted (stored) at once. */
  async postAll(callbacks: any[]): Promise<void> {
    for (const callback of callbacks) {
      const answer = await postCallback(this.current, callback);
      expect({ id: callback.data.id, status: answer.status, body: answer.body }).toMatchObject({ status: 200, body: { status: 'accepted' } });
    }
  }

  /** Posts as CometChat does: a 503 (or no answer) is sent again until a 200 (accepted, or a duplicate of one stored). */
  async postUntilAccepted(callback: any, timeoutMs = 60_000): Promise<string> {
    return waitFor(
      `message ${callback.data.id} accepted`,
      async () => {
        const answer = await postCallback(this.current, callback);
        // Thrown, not returned: a timeout then says what the service last answered.
        if (answer.status !== 200) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
        return answer.body.status as string;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** The fake's calls for a message's reply. */
  calls(messageId: string) {
    return this.cometchat.calls.filter((c) => c.body?.muid === muid(messageId));
  }

  deliveries(messageId: string) {
    return this.calls(messageId).filter((c) => typeof c.answer === 'number' && c.answer < 300);
  }

  /** Failed sends as the services logged them (`send` lines, retrying or failed): calls the fake cannot see, refused ones. */
  failedSendsLogged(): number {
    return this.services.reduce((sum, service) => sum + logLines(service.output).filter((l) => l.msg === 'send' && l.outcome !== 'sent').length, 0);
  }

  async replyState(messageId: string): Promise<{ state: string; failedReason?: string } | undefined> {
    if (!this.repliesQueue) {
      this.repliesQueue = new Queue('replies', { connection: this.connection, prefix: this.prefix });
      this.repliesQueue.on('error', () => undefined); // faults are the point
    }
    const job = await this.repliesQueue.getJob(muid(messageId));
    if (!job) return undefined;
    return { state: await job.getState(), ...(job.failedReason ? { failedReason: job.failedReason } : {}) };
  }

  /**
   * (b) and (c): every message's reply posted, each reply job completed (so nothing more is coming), each exactly
   * once, the last within one backoff ceiling (and the margin) of `recoveredAt`.
   */
  async expectRecovered(callbacks: any[], recoveredAt: number, key = 'recovery'): Promise<void> {
    const ids: string[] = callbacks.map((c) => c.data.id);
    try {
      await waitFor('a reply to every accepted message', () => ids.every((id) => this.deliveries(id).length > 0), {
        timeoutMs: DELIVERY_WAIT_MS,
        intervalMs: 200,
      });
      await waitFor(
        'every reply job to end',
        async () => (await Promise.all(ids.map((id) => this.replyState(id)))).every((s) => s?.state === 'completed' || s?.state === 'failed'),
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    } finally {
      this.record(ids, recoveredAt, key);
    }
    const states = await Promise.all(ids.map(async (id) => ({ muid: muid(id), ...(await this.replyState(id)) })));
    expect(states.filter((s) => s.state !== 'completed')).toEqual([]);
    expect(ids.map((id) => ({ muid: muid(id), delivered: this.deliveries(id).length })).filter((d) => d.delivered !== 1)).toEqual([]);
    const lastDelivery = Math.max(...ids.flatMap((id) => this.deliveries(id).map((c) => c.at)));
    expect(lastDelivery - recoveredAt).toBeLessThanOrEqual(BACKOFF_CEILING_MS + MARGIN_MS);
  }

  /** The figures of a recovery: deliveries per muid (how many muids were posted 0, 1, 2… times) and the time to the last. */
  record(ids: string[], recoveredAt: number, key: string): void {
    const perMuid: Record<number, number> = {};
    for (const id of ids) perMuid[this.deliveries(id).length] = (perMuid[this.deliveries(id).length] ?? 0) + 1;
    const at = ids.flatMap((id) => this.deliveries(id).map((c) => c.at));
    this.facts[key] = {
      messages: ids.length,
      deliveriesPerMuid: perMuid,
      recoveryToLastDeliveryMs: at.length ? Math.max(...at) - recoveredAt : null,
    };
  }

  /** (a): every process the test did not kill still runs, and none printed an unhandled rejection. */
  expectSurvived(): void {
    for (const service of this.services) {
      if (!this.killed.has(service)) {
        expect({ pid: service.child.pid, exitCode: service.child.exitCode, signalCode: service.child.signalCode }).toEqual({
          pid: service.child.pid,
          exitCode: null,
          signalCode: null,
        });
      }
      expect(service.output.split('\n').filter((line) => /unhandled/i.test(line))).toEqual([]);
    }
  }

  /** The error, with the last lines each process printed; their whole output is kept in a file named there. */
  withOutput(error: unknown): Error {
    const failure = error instanceof Error ? error : new Error(String(error));
    const frames = (failure.stack ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n');
    const outputs = this.services
      .map((s, n) => {
        const file = join(tmpdir(), `faults-at-defaults-${this.prefix}-${n + 1}.log`);
        writeFileSync(file, s.output);
        // Nest's boot lines say nothing about a fault.
        const lines = s.output.split('\n').filter((line) => line && !/"context":"(InstanceLoader|RoutesResolver|RouterExplorer)"/.test(line));
        return `--- ${this.name}, process ${n + 1} (pid ${s.child.pid}, exit ${s.child.exitCode}, signal ${s.child.signalCode}), all of it in ${file}, last lines:\n${lines.slice(-30).join('\n')}`;
      })
      .join('\n');
    failure.message = `${failure.message}\n\n${outputs || '(no service process started)'}`;
    failure.stack = `${failure.name}: ${failure.message}\n${frames}`;
    return failure;
  }

  private async close(sharedRedis: boolean): Promise<void> {
    for (const service of this.services) {
      if (service.running) service.kill('SIGKILL');
      await service.exited();
    }
    await this.repliesQueue?.close().catch(() => undefined);
    await this.cometchat.stop();
    if (sharedRedis) await deleteKeys(this.prefix);
  }
}

function logLines(output: string): Array<Record<string, any>> {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });
}

/** CometChat down from the start of a flow of `callbacks` for `outageMs`, then back; the replies checked after. */
async function outage(
  s: Scenario,
  callbacks: any[],
  outageMs: number,
  fault: { begin: () => Promise<void>; end: () => Promise<void> },
  key = 'recovery',
) {
  await fault.begin();
  const outageStart = Date.now();
  await s.postAll(callbacks);
  await lasting('the outage', outageStart, outageMs);
  const callsBefore = s.cometchat.calls.filter((c) => c.at >= outageStart).length;
  const failedBefore = s.failedSendsLogged();
  await fault.end();
  const recoveredAt = Date.now();
  try {
    await s.expectRecovered(callbacks, recoveredAt, key);
  } finally {
    s.facts[key] = { ...(s.facts[key] as object), callsDuringOutage: callsBefore, failedSendsLoggedDuringOutage: failedBefore };
  }
}

describe('faults at the shipped defaults, node dist/main.js', () => {
  describe('CometChat failing (shared Redis, a prefix each)', () => {
    it.concurrent(
      'answering 503 and dropping connections for 60 s: 20 messages from 5 senders, each answered once within a ceiling of recovery',
      () =>
        Scenario.run('cc-503-reset-60s', {}, async (s) => {
          await s.start();
          await outage(s, fromSenders('o503', 20, 5), 60_000, {
            begin: async () => s.cometchat.startOutage({ status: 503 }, { reset: true }),
            end: async () => s.cometchat.recover(),
          });
          // A breaker, not a call per reply: a probe per window, 1 + 2 + 4 + … s, after the first failures.
          expect((s.facts.recovery as { callsDuringOutage: number }).callsDuringOutage).toBeLessThan(40);
        }),
      240_000,
    );

    it.concurrent(
      'three 10 s outages (503 and dropped connections) one after another, 20 messages each: no exit, each answered once',
      () =>
        Scenario.run('cc-503-reset-3x10s', {}, async (s) => {
          await s.start();
          for (const round of [1, 2, 3]) {
            await outage(
              s,
              fromSenders(`short${round}`, 20, 5),
              10_000,
              { begin: async () => s.cometchat.startOutage({ status: 503 }, { reset: true }), end: async () => s.cometchat.recover() },
              `round${round}`,
            );
          }
        }),
      300_000,
    );

    it.concurrent(
      'hanging on every call for 60 s: 10 messages, each answered once within a ceiling of recovery',
      () =>
        Scenario.run('cc-hang-60s', {}, async (s) => {
          await s.start();
          await outage(s, fromSenders('hang', 10, 5), 60_000, {
            begin: async () => s.cometchat.startOutage({ hang: true }),
            end: async () => {
              s.cometchat.recover();
              s.cometchat.releaseHanging();
            },
          });
        }),
      240_000,
    );

    it.concurrent(
      'refusing connections for 60 s: 10 messages, each answered once within a ceiling of recovery',
      () =>
        Scenario.run('cc-refused-60s', {}, async (s) => {
          await s.start();
          await outage(s, fromSenders('refused', 10, 5), 60_000, { begin: () => s.cometchat.refuse(), end: () => s.cometchat.accept() });
        }),
      240_000,
    );
  });

  describe('the worker process killed (shared Redis, a prefix each)', () => {
    it.concurrent(
      'SIGKILL while CometChat holds a send it stored, a new process on the prefix: the reply is found by its muid, posted once',
      () =>
        Scenario.run('worker-sigkill', {}, async (s) => {
          const first = await s.start();
          let answer!: () => void;
          // CometChat takes the send but its 200 arrives only after the process is gone.
          s.cometchat.answerNext({ status: 200, until: new Promise<void>((resolve) => (answer = resolve)) });
          const [callback] = fromSenders('sigkill', 1, 1);
          await s.postAll([callback]);
          await waitFor('the send to be in flight', () => s.calls(callback.data.id).length === 1);
          await s.kill(first);
          answer();

          await s.start();
          const recoveredAt = Date.now();
          await waitFor('the reply job to end', async () => ['completed', 'failed'].includes((await s.replyState(callback.data.id))?.state ?? ''), {
            timeoutMs: DELIVERY_WAIT_MS,
            intervalMs: 200,
          });
          s.record([callback.data.id], recoveredAt, 'recovery');
          Object.assign(s.facts.recovery as object, { job: await s.replyState(callback.data.id) });
          expect(await s.replyState(callback.data.id)).toEqual({ state: 'completed' });
          // Exactly once: the send CometChat took before the kill is found by its muid, not posted again.
          expect(s.deliveries(callback.data.id)).toHaveLength(1);
          expect(s.cometchat.messages.filter((m) => m.muid === `reply-${callback.data.id}-0`)).toHaveLength(1);
          const lastDelivery = Math.max(...s.deliveries(callback.data.id).map((c) => c.at));
          expect(lastDelivery - recoveredAt).toBeLessThanOrEqual(BACKOFF_CEILING_MS + MARGIN_MS);
        }),
      180_000,
    );

    it.concurrent(
      'two SIGKILLs during the same reply’s sends, a new process each time: the third send goes, once, and its job completes',
      () =>
        Scenario.run('worker-two-kills', {}, async (s) => {
          const [callback] = fromSenders('twokills', 1, 1);
          s.cometchat.answerNext({ hang: true }, { hang: true });
          let service = await s.start();
          await s.postAll([callback]);
          for (const send of [1, 2]) {
            // The second send comes once the killed process's lock has lapsed and a stalled-jobs check found it.
            await waitFor(`send ${send} to be in flight`, () => s.calls(callback.data.id).length === send, { timeoutMs: DELIVERY_WAIT_MS });
            await s.kill(service);
            service = await s.start();
          }
          const recoveredAt = Date.now();
          await s.expectRecovered([callback], recoveredAt);
          Object.assign(s.facts.recovery as object, { sends: s.calls(callback.data.id).map((c) => c.answer) });
        }),
      240_000,
    );
  });

  describe('Redis failing (private redis-servers)', () => {
    it.concurrent(
      'Redis stalled (SIGSTOP) for 20 s mid-flow: every message accepted with 200 answered once',
      async () => {
        const redis = await PrivateRedis.start();
        try {
          await Scenario.run('redis-stall-20s', { redisUrl: redis.url }, async (s) => {
            await s.start();
            const before = fromSenders('stall', 10, 5);
            await s.postAll(before);
            // How far the flow had gone: replies already posted when Redis froze (the rest meet the stall).
            s.facts.deliveredBeforeFault = before.filter((c) => s.deliveries(c.data.id).length > 0).length;
            redis.freeze();
            const stallStart = Date.now();
            // CometChat keeps calling meanwhile: a 503 (or no answer) is a callback it sends again later.
            const during = fromSenders('stall-during', 5, 5);
            const answers: Array<number | string> = [];
            for (const callback of during) {
              answers.push(
                await postCallback(s.current, callback).then(
                  (a) => a.status,
                  (error: Error) => error.message,
                ),
              );
            }
            await lasting('the stall', stallStart, 20_000);
            redis.thaw();
            const recoveredAt = Date.now();
            s.facts.answersDuringStall = answers;
            for (const callback of during) await s.postUntilAccepted(callback);
            await s.expectRecovered([...before, ...during], recoveredAt);
          });
        } finally {
          await redis.stop();
        }
      },
      240_000,
    );

    it.concurrent(
      'Redis (AOF) SIGKILLed mid-flow and restarted on its port and dir: every accepted message answered once',
      async () => {
        const redis = await PrivateRedis.start(['--appendonly', 'yes']);
        try {
          await Scenario.run('redis-restart', { redisUrl: redis.url }, async (s) => {
            await s.start();
            const callbacks = fromSenders('restart', 20, 5);
            let restarted: Promise<number> | undefined;
            for (const [n, callback] of callbacks.entries()) {
              if (n === 10) {
                s.facts.deliveredBeforeFault = callbacks.slice(0, n).filter((c) => s.deliveries(c.data.id).length > 0).length;
                await redis.kill();
                const killedAt = Date.now();
                restarted = (async () => {
                  await lasting('Redis to stay down', killedAt, 5_000);
                  await redis.restart();
                  return Date.now();
                })();
                restarted.catch(() => undefined); // awaited below
              }
              await s.postUntilAccepted(callback);
            }
            const recoveredAt = await restarted!;
            await s.expectRecovered(callbacks, recoveredAt);
            await s.current.ready();
          });
        } finally {
          await redis.stop();
        }
      },
      240_000,
    );

    it.concurrent(
      'Sentinel: the master killed mid-flow, the replica promoted: every accepted message answered once, ready again',
      async () => {
        const sentinel = await PrivateSentinel.start();
        try {
          const sentinels = [{ host: '127.0.0.1', port: sentinel.port }];
          await Scenario.run(
            'sentinel-failover',
            {
              env: { REDIS_URL: undefined, REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`, REDIS_SENTINEL_NAME: PrivateSentinel.MASTER_NAME },
              connection: { sentinels, name: PrivateSentinel.MASTER_NAME },
            },
            async (s) => {
              await s.start();
              const callbacks = fromSenders('sentinel', 20, 5);
              let promoted: Promise<number> | undefined;
              for (const [n, callback] of callbacks.entries()) {
                if (n === 10) {
                  s.facts.deliveredBeforeFault = callbacks.slice(0, n).filter((c) => s.deliveries(c.data.id).length > 0).length;
                  promoted = sentinel.killMaster().then(() => Date.now());
                  promoted.catch(() => undefined); // awaited below
                }
                await s.postUntilAccepted(callback);
              }
              const recoveredAt = await promoted!;
              await s.expectRecovered(callbacks, recoveredAt);
              await s.current.ready();
            },
          );
        } finally {
          await sentinel.stop();
        }
      },
      240_000,
    );
  });
});
