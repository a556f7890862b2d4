/**
 * `npm run soak`: the built service (`node dist/main.js`, shipped defaults) under light, steady load through a long
 * CometChat outage, measured; a report, never a test (not part of `npm test` or CI).
 *
 * A private redis-server (as compose runs it: AOF, maxmemory 512mb, noeviction) and the fake CometChat
 * (test/support/fake-cometchat.ts) stand in for production's. Timeline: warm-up, then CometChat answering 503 and
 * dropping connections in turn, then recovery, the load never stopping; then the script waits for every accepted
 * callback's reply and stops everything.
 *
 *   SOAK_WARMUP_S    120   load before the outage
 *   SOAK_OUTAGE_S    1800  the outage
 *   SOAK_RECOVERY_S  300   load after recover()
 *   SOAK_RATE        2     callbacks per second (whole numbers), from 20 senders in turn
 *   SOAK_OUTAGES     1     how many outages of SOAK_OUTAGE_S, each but the last followed by SOAK_GAP_S of CometChat up
 *   SOAK_GAP_S       30    (e.g. SOAK_OUTAGES=24 SOAK_OUTAGE_S=10: short outages, where a failed probe once ended
 *                          the process); the recovery figures are the last outage's
 *
 * CometChat calls per minute count the outage's full minutes (a trailing part-minute counts in its total only). The
 * backlog is the accepted callbacks whose reply was not delivered when recover() was called.
 *
 * Writes soak-report.json. Exit code 1 when the service exited by itself, or an accepted callback did not get exactly
 * one delivered reply (the backlog's within 5 minutes of recovery), or the script itself failed.
 */
import { Queue } from 'bullmq';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FakeCometChat, RecordedCall } from '../test/support/fake-cometchat';
import { PrivateRedis } from '../test/support/private-redis';
import { freePort } from '../test/support/service-process';
import { basicAuth, testEnv } from '../test/support/test-app';
import { waitFor } from '../test/support/wait-for';
import { fmt, median, positive, REPO_ROOT, sleep, table } from './bench/report';

const WARMUP_S = positive('SOAK_WARMUP_S', 120);
const OUTAGE_S = positive('SOAK_OUTAGE_S', 1800);
const RECOVERY_S = positive('SOAK_RECOVERY_S', 300);
const RATE = positive('SOAK_RATE', 2);
const OUTAGES = positive('SOAK_OUTAGES', 1);
const GAP_S = positive('SOAK_GAP_S', 30);
const SENDERS = 20;
/** The backlog's replies must all be delivered this soon after recover(). */
const BACKLOG_DEADLINE_MS = 5 * 60_000;
/** Callbacks accepted late in the recovery phase get at least this long after the load stops. */
const TAIL_GRACE_MS = 60_000;
/** After the last reply, how long the script keeps watching for a second delivery of any. */
const SETTLE_MS = 10_000;
const SAMPLE_EVERY_MS = 10_000;
/** The whole run, startup and shutdown included, ends within this (a watchdog kills everything past it). */
const TOTAL_BOUND_MS = (WARMUP_S + OUTAGES * OUTAGE_S + (OUTAGES - 1) * GAP_S + RECOVERY_S) * 1000 + 6 * 60_000;
/** The service's default QUEUE_PREFIX (no timing or naming variable is set). */
const QUEUE_PREFIX = 'cometchat-bot';
const REDIS_ARGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory', '512mb', '--maxmemory-policy', 'noeviction'];
const REPORT_FILE = join(REPO_ROOT, 'soak-report.json');
const TAIL_LINES = 40;

/** What stops the processes started so far: run on a crash, a signal, or the watchdog. */
const cleanup: Array<() => Promise<unknown> | void> = [];
async function abandon(code: number): Promise<never> {
  await Promise.allSettled(cleanup.map(async (stop) => stop()));
  process.exit(code);
}

type Phase = 'warmup' | 'outage' | 'recovery' | 'after';

interface Callback {
  id: string;
  sender: string;
  payload: string;
  sentAt: number;
  attempts: number;
  acceptedAt?: number;
  acceptedPhase?: Phase;
}

/** Bounded memory of what the service wrote: counts by level, the most frequent messages, the last lines. */
class LogWatch {
  readonly levels = new Map<string, number>();
  readonly messages = new Map<string, number>();
  readonly stderrTail: string[] = [];
  readonly warnTail: string[] = [];
  stderrLines = 0;
  unparsedStdout = 0;

  watch(child: ChildProcess): void {
    createInterface({ input: child.stdout! }).on('line', (line) => this.stdout(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrLines++;
      push(this.stderrTail, line.slice(0, 1000));
    });
  }

  count(...levels: string[]): number {
    return levels.reduce((sum, level) => sum + (this.levels.get(level) ?? 0), 0);
  }

  private stdout(line: string): void {
    let entry: any;
    try {
      entry = JSON.parse(line);
    } catch {
      this.unparsedStdout++;
      push(this.stderrTail, `[stdout] ${line.slice(0, 1000)}`);
      return;
    }
    const level = typeof entry.level === 'number' ? (PINO_LEVELS[entry.level] ?? String(entry.level)) : String(entry.level);
    this.levels.set(level, (this.levels.get(level) ?? 0) + 1);
    if (level === 'warn' || level === 'error' || level === 'fatal') {
      const msg = typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? entry.err?.message ?? '');
      // Numbers (pause lengths, ids, seconds) folded away, so one kind of line counts as one message.
      const outcome = typeof entry.outcome === 'string' ? ` [${entry.outcome}]` : '';
      const key = `${level}: ${msg.replace(/\d+/g, 'N').slice(0, 160)}${outcome}`;
      this.messages.set(key, (this.messages.get(key) ?? 0) + 1);
      push(this.warnTail, line.slice(0, 600));
    }
  }
}

/** pino's numbers, should the service log them instead of names. */
const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function push(tail: string[], line: string): void {
  tail.push(line);
  if (tail.length > TAIL_LINES) tail.shift();
}

function spread(values: number[]) {
  if (values.length === 0) return { start: NaN, max: NaN, end: NaN };
  return { start: values[0], max: Math.max(...values), end: values[values.length - 1] };
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** VmRSS of a process in bytes, or NaN once it is gone. */
function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

const isSend = (c: RecordedCall) => c.method === 'POST' && /^\/v3\/bots\/[^/]+\/messages/.test(c.path);
const isLookup = (c: RecordedCall) => c.method === 'GET';
const isDelivery = (c: RecordedCall) => isSend(c) && typeof c.answer === 'number' && c.answer >= 200 && c.answer < 300;
const muidOf = (id: string) => `reply-${id}-0`;

async function main(): Promise<number> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` (npm run soak does)');
  const runStarted = Date.now();
  const watchdog = setTimeout(() => {
    console.error(`soak: still running after ${TOTAL_BOUND_MS / 1000} s; killing everything`);
    abandon(1).catch(() => process.exit(1));
  }, TOTAL_BOUND_MS);

  console.log(
    `soak: warm-up ${WARMUP_S} s, outage ${OUTAGE_S} s, recovery ${RECOVERY_S} s at ${RATE}/s from ${SENDERS} senders; ` +
      `bounded at ${Math.round(TOTAL_BOUND_MS / 60_000)} min`,
  );

  const redis = await PrivateRedis.start(REDIS_ARGS);
  cleanup.push(() => redis.stop());
  const fake = await new FakeCometChat().start();
  cleanup.push(() => fake.stop());
  const port = await freePort();
  const required = testEnv('soak');
  const env: Record<string, string> = {
    ...Object.fromEntries(
      ['BOT_UID', 'WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD', 'COMETCHAT_APP_ID', 'COMETCHAT_REGION', 'COMETCHAT_API_KEY'].map((k) => [k, required[k]]),
    ),
    COMETCHAT_API_URL: fake.url,
    REDIS_URL: redis.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  const service = spawn(process.execPath, ['dist/main.js'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.unshift(() => void service.kill('SIGKILL'));
  const logs = new LogWatch();
  logs.watch(service);
  let stopping = false;
  let exitedEarly: { code: number | null; signal: NodeJS.Signals | null; afterS: number } | undefined;
  const exited = once(service, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  exited
    .then(([code, signal]) => {
      if (!stopping) exitedEarly = { code, signal, afterS: Math.round((Date.now() - runStarted) / 1000) };
    })
    .catch(() => undefined);
  const serviceUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    'the service to be ready',
    async () => {
      if (exitedEarly) throw new Error(`the service exited while starting (code ${exitedEarly.code}, signal ${exitedEarly.signal})`);
      return (await fetch(`${serviceUrl}/health/ready`)).ok;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const pid = service.pid!;

  // Samples every 10 s: the service's RSS and Redis's used_memory.
  const rss: Array<[number, number]> = [];
  const redisMemory: Array<[number, number]> = [];
  const sample = async () => {
    const at = Math.round((Date.now() - runStarted) / 1000);
    const bytes = rssOf(pid);
    if (Number.isFinite(bytes)) rss.push([at, bytes]);
    const info = await redis.use((client) => client.info('memory'));
    redisMemory.push([at, Number(/^used_memory:(\d+)/m.exec(info)![1])]);
  };
  const sampleNow = () => void sample().catch(() => undefined);
  await sample();
  const sampler = setInterval(sampleNow, SAMPLE_EVERY_MS);

  // The load: a fresh user-text callback at RATE per second; non-200s retried later, as CometChat would.
  const template = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'user-text.json'), 'utf8');
  let lastId = (Date.now() % 1e9) * 1000; // increasing ids, as CometChat's (and test/support/fixtures.ts's) are
  const callbacks: Callback[] = [];
  const refusals = new Map<string, number>();
  const refusedByPhase: Record<Phase, number> = { warmup: 0, outage: 0, recovery: 0, after: 0 };
  let phase: Phase = 'warmup';
  let inFlight = 0;
  const pendingRetries = new Set<NodeJS.Timeout>();
  const post = async (callback: Callback): Promise<void> => {
    callback.attempts++;
    inFlight++;
    let retryInMs = 5000;
    try {
      const response = await fetch(`${serviceUrl}/webhooks/cometchat`, {
        method: 'POST',
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        body: callback.payload,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.status === 200) {
        callback.acceptedAt = Date.now();
        callback.acceptedPhase = phase;
        return;
      }
      refusals.set(String(response.status), (refusals.get(String(response.status)) ?? 0) + 1);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (retryAfter > 0) retryInMs = Math.min(60, retryAfter) * 1000;
      if (response.status < 500 && response.status !== 429)
        push(logs.stderrTail, `[soak] callback ${callback.id} answered ${response.status}: ${text}`);
    } catch (error) {
      const key = `error: ${(error as Error).name}`;
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    } finally {
      inFlight--;
    }
    refusedByPhase[phase]++;
    const timer = setTimeout(() => {
      pendingRetries.delete(timer);
      post(callback).catch(() => undefined);
    }, retryInMs);
    pendingRetries.add(timer);
  };
  const newCallback = (n: number): Callback => {
    const body = JSON.parse(template);
    body.data.id = String(++lastId);
    body.data.sender = `soak-user-${n % SENDERS}`;
    return { id: body.data.id, sender: body.data.sender, payload: JSON.stringify(body), sentAt: Date.now(), attempts: 0 };
  };

  const aborted = () => exitedEarly !== undefined;
  const until = async (deadline: number) => {
    while (Date.now() < deadline && !aborted()) await sleep(Math.min(250, deadline - Date.now()));
  };

  const loadStarted = Date.now();
  let loadEnd = Infinity;
  const load = (async () => {
    for (let n = 0; !aborted(); n++) {
      const due = loadStarted + (n * 1000) / RATE;
      if (due >= loadEnd) break;
      await until(Math.min(due, loadEnd));
      if (Date.now() >= loadEnd || aborted()) break;
      const callback = newCallback(n);
      callbacks.push(callback);
      post(callback).catch(() => undefined);
    }
  })();

  await until(loadStarted + WARMUP_S * 1000);
  let outageStarted = 0;
  for (let outage = 1; outage <= OUTAGES && !aborted(); outage++) {
    if (outage > 1) {
      phase = 'recovery';
      await until(Date.now() + GAP_S * 1000);
    }
    fake.startOutage({ status: 503 }, { reset: true });
    outageStarted = Date.now();
    phase = 'outage';
    console.log(`soak: outage ${outage} of ${OUTAGES} started at +${Math.round((outageStarted - runStarted) / 1000)} s`);
    await until(outageStarted + OUTAGE_S * 1000);
    fake.recover();
  }
  const recoveredAt = Date.now();
  phase = 'recovery';
  const deliveredAtRecovery = new Set(fake.calls.filter(isDelivery).map((c) => c.body.muid as string));
  const backlog = callbacks.filter((c) => c.acceptedAt !== undefined && !deliveredAtRecovery.has(muidOf(c.id)));
  const queueCounts = async () => {
    const queues = ['events', 'replies'].map(
      (name) => new Queue(name, { connection: { host: '127.0.0.1', port: redis.port }, prefix: QUEUE_PREFIX }),
    );
    queues.forEach((q) => q.on('error', () => undefined));
    try {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed')));
      const failed = await queues[1].getFailed(0, 4);
      return { events: counts[0], replies: counts[1], failedReplies: failed.map((job) => `${job.id}: ${job.failedReason}`) };
    } finally {
      await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    }
  };
  const countsAtRecovery = await queueCounts().catch((error: Error) => ({ error: error.message }));
  console.log(`soak: recovered at +${Math.round((recoveredAt - runStarted) / 1000)} s; backlog ${backlog.length} replies`);

  loadEnd = recoveredAt + RECOVERY_S * 1000;
  await until(loadEnd);
  await load;
  phase = 'after';

  // Every accepted callback answered: the backlog within 5 minutes of recovery, the recovery phase's by its grace.
  const finalDeadline = Math.max(recoveredAt + BACKLOG_DEADLINE_MS, Date.now() + TAIL_GRACE_MS);
  const deliveries = () => {
    const byMuid = new Map<string, RecordedCall[]>();
    for (const call of fake.calls) if (isDelivery(call)) byMuid.set(call.body.muid, [...(byMuid.get(call.body.muid) ?? []), call]);
    return byMuid;
  };
  const allAnswered = () => {
    const byMuid = deliveries();
    return inFlight === 0 && pendingRetries.size === 0 && callbacks.every((c) => c.acceptedAt !== undefined && byMuid.has(muidOf(c.id)));
  };
  while (Date.now() < finalDeadline && !aborted() && !allAnswered()) await sleep(1000);
  if (!aborted()) await until(Date.now() + SETTLE_MS);
  clearInterval(sampler);
  await sample().catch(() => undefined);
  const countsAtEnd = await queueCounts().catch((error: Error) => ({ error: error.message }));
  pendingRetries.forEach((timer) => clearTimeout(timer));

  // Stop everything: the service by SIGTERM (SIGKILL after 30 s), then Redis and the fake.
  stopping = true;
  let shutdown: { code: number | null; signal: NodeJS.Signals | null; seconds: number } | undefined;
  if (!exitedEarly) {
    const stopAt = Date.now();
    service.kill('SIGTERM');
    const kill = setTimeout(() => service.kill('SIGKILL'), 30_000);
    const [code, signal] = await exited;
    clearTimeout(kill);
    shutdown = { code, signal, seconds: Math.round((Date.now() - stopAt) / 100) / 10 };
  }
  await redis.stop();
  await fake.stop();
  clearTimeout(watchdog);

  // The numbers.
  const accepted = callbacks.filter((c) => c.acceptedAt !== undefined);
  const acceptedByPhase: Record<Phase, number> = { warmup: 0, outage: 0, recovery: 0, after: 0 };
  accepted.forEach((c) => acceptedByPhase[c.acceptedPhase!]++);
  const outageEnd = recoveredAt;
  const outageCalls = fake.calls.filter((c) => c.at >= outageStarted && c.at < outageEnd);
  const fullMinutes = Math.max(1, Math.floor((outageEnd - outageStarted) / 60_000));
  const perMinute = Array.from(
    { length: fullMinutes },
    (_, i) => outageCalls.filter((c) => Math.floor((c.at - outageStarted) / 60_000) === i).length,
  );
  const answers = new Map<string, number>();
  outageCalls.forEach((c) => answers.set(String(c.answer), (answers.get(String(c.answer)) ?? 0) + 1));

  const byMuid = deliveries();
  const storedByMuid = new Map<string, number>();
  fake.messages.forEach((m) => m.muid && storedByMuid.set(m.muid, (storedByMuid.get(m.muid) ?? 0) + 1));
  const expected = new Set(accepted.map((c) => muidOf(c.id)));
  const missing = accepted.filter((c) => !byMuid.has(muidOf(c.id))).map((c) => muidOf(c.id));
  const duplicated = accepted.filter((c) => (byMuid.get(muidOf(c.id))?.length ?? 0) > 1).map((c) => muidOf(c.id));
  const storedMissing = accepted.filter((c) => !storedByMuid.has(muidOf(c.id))).length;
  const storedDuplicated = accepted.filter((c) => (storedByMuid.get(muidOf(c.id)) ?? 0) > 1).length;
  const unexpected = [...byMuid.keys()].filter((muid) => !expected.has(muid));
  const backlogDeliveredAt = backlog.map((c) => byMuid.get(muidOf(c.id))?.[0].at).filter((at): at is number => at !== undefined);
  const lastBacklogMs = backlogDeliveredAt.length ? Math.max(...backlogDeliveredAt) - recoveredAt : NaN;
  const firstAfterRecoveryMs = backlogDeliveredAt.length ? Math.min(...backlogDeliveredAt) - recoveredAt : NaN;
  const backlogLate = backlog.filter((c) => (byMuid.get(muidOf(c.id))?.[0].at ?? Infinity) > recoveredAt + BACKLOG_DEADLINE_MS).length;
  const deliveredSinceRecovery = fake.calls.filter((c) => isDelivery(c) && c.at >= recoveredAt);
  const rssSpread = spread(rss.map(([, b]) => b));
  const redisSpread = spread(redisMemory.map(([, b]) => b));

  const failures: string[] = [];
  if (exitedEarly)
    failures.push(`the service exited by itself after ${exitedEarly.afterS} s (code ${exitedEarly.code}, signal ${exitedEarly.signal})`);
  if (missing.length) failures.push(`${missing.length} accepted callbacks got no delivered reply`);
  if (duplicated.length) failures.push(`${duplicated.length} accepted callbacks got more than one delivered reply`);
  if (backlogLate) failures.push(`${backlogLate} backlog replies were delivered later than 5 min after recovery (or never)`);
  const neverAccepted = callbacks.length - accepted.length;
  const looksWrong = failures.length > 0 || logs.count('error', 'fatal') > 0 || logs.stderrLines > 0 || neverAccepted > 0 || unexpected.length > 0;

  const report = {
    settings: {
      warmupS: WARMUP_S,
      outageS: OUTAGE_S,
      outages: OUTAGES,
      gapS: GAP_S,
      recoveryS: RECOVERY_S,
      ratePerS: RATE,
      senders: SENDERS,
      redis: REDIS_ARGS.join(' '),
    },
    startedAt: new Date(runStarted).toISOString(),
    durationS: Math.round((Date.now() - runStarted) / 1000),
    pass: failures.length === 0,
    failures,
    service: { stayedUp: !exitedEarly, exitedEarly: exitedEarly ?? null, shutdown: shutdown ?? null },
    callbacks: {
      sent: callbacks.length,
      accepted: accepted.length,
      acceptedByPhase,
      neverAccepted,
      non200Answers: Object.fromEntries(refusals),
      non200ByPhase: refusedByPhase,
    },
    outage: {
      seconds: Math.round((outageEnd - outageStarted) / 1000),
      cometchatCalls: outageCalls.length,
      sends: outageCalls.filter(isSend).length,
      lookups: outageCalls.filter(isLookup).length,
      other: outageCalls.filter((c) => !isSend(c) && !isLookup(c)).length,
      answers: Object.fromEntries(answers),
      perFullMinute: { minutes: fullMinutes, min: Math.min(...perMinute), median: median(perMinute), max: Math.max(...perMinute), counts: perMinute },
    },
    recovery: {
      backlogAtRecovery: backlog.length,
      queuesAtRecovery: countsAtRecovery,
      deliveredSinceRecovery: deliveredSinceRecovery.length,
      firstBacklogDeliveredAfterS: firstAfterRecoveryMs / 1000,
      lastBacklogDeliveredAfterS: lastBacklogMs / 1000,
      backlogLate,
      lookupsSinceRecovery: fake.calls.filter((c) => isLookup(c) && c.at >= recoveredAt).length,
    },
    exactlyOnce: {
      acceptedCallbacks: accepted.length,
      repliesDelivered: accepted.length - missing.length,
      missing: missing.length,
      duplicated: duplicated.length,
      missingSample: missing.slice(0, 10),
      duplicatedSample: duplicated.slice(0, 10),
      unexpectedMuids: unexpected.length,
      storedMessages: { total: fake.messages.length, missing: storedMissing, duplicated: storedDuplicated },
      queuesAtEnd: countsAtEnd,
    },
    rssMB: { start: mb(rssSpread.start), max: mb(rssSpread.max), end: mb(rssSpread.end), samples: rss.map(([t, b]) => [t, mb(b)]) },
    redisUsedMemoryMB: {
      start: mb(redisSpread.start),
      max: mb(redisSpread.max),
      end: mb(redisSpread.end),
      samples: redisMemory.map(([t, b]) => [t, mb(b)]),
    },
    logs: {
      warn: logs.count('warn'),
      error: logs.count('error'),
      fatal: logs.count('fatal'),
      stderrLines: logs.stderrLines,
      unparsedStdoutLines: logs.unparsedStdout,
      topMessages: [...logs.messages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
      stderrTail: logs.stderrTail,
      warnTail: logs.warnTail.slice(-10),
    },
  };
  writeFileSync(REPORT_FILE, `${JSON.stringify(report, null, 2)}\n`);

  const o = report.outage;
  const lines = [
    '',
    `soak report (${report.startedAt}, ${report.durationS} s): ${report.pass ? 'PASS' : 'FAIL'}`,
    `settings: warm-up ${WARMUP_S} s, ${OUTAGES} outage(s) of ${OUTAGE_S} s (${GAP_S} s apart), recovery ${RECOVERY_S} s, ${RATE}/s from ${SENDERS} senders; redis ${REDIS_ARGS.join(' ')}`,
    `service: ${exitedEarly ? `EXITED after ${exitedEarly.afterS} s (code ${exitedEarly.code}, signal ${exitedEarly.signal})` : 'stayed up'}` +
      (shutdown ? `; SIGTERM -> exit code ${shutdown.code}${shutdown.signal ? ` signal ${shutdown.signal}` : ''} in ${shutdown.seconds} s` : ''),
    `callbacks: ${callbacks.length} sent, ${accepted.length} accepted (warm-up ${acceptedByPhase.warmup}, outage ${acceptedByPhase.outage}, ` +
      `recovery ${acceptedByPhase.recovery}, after ${acceptedByPhase.after}); non-200 answers ${JSON.stringify(report.callbacks.non200Answers)}; never accepted ${neverAccepted}`,
    `outage (${o.seconds} s): ${o.cometchatCalls} CometChat calls (${o.sends} sends POST, ${o.lookups} lookups GET, ${o.other} other; answers ${JSON.stringify(o.answers)})`,
    `  per ${o.seconds < 60 ? 'minute (the outage was shorter: one partial minute)' : `full minute (${o.perFullMinute.minutes})`}: min ${o.perFullMinute.min}, median ${fmt(o.perFullMinute.median, 1)}, max ${o.perFullMinute.max}`,
    `recovery: backlog ${backlog.length} replies at recover(); ${deliveredSinceRecovery.length} replies delivered since; backlog's first after ` +
      `${fmt(firstAfterRecoveryMs / 1000, 1)} s, last after ${fmt(lastBacklogMs / 1000, 1)} s; ${report.recovery.lookupsSinceRecovery} lookups since`,
    `  queues at recovery: ${JSON.stringify(countsAtRecovery)}`,
    `exactly once: ${accepted.length} accepted, ${accepted.length - missing.length} with a delivered reply; missing ${missing.length}, duplicated ` +
      `${duplicated.length}, unexpected muids ${unexpected.length}; fake.messages per muid: missing ${storedMissing}, duplicated ${storedDuplicated}`,
    `  queues at end: ${JSON.stringify(countsAtEnd)}`,
    table([
      ['sampled every 10 s', 'start', 'max', 'end', 'samples'],
      ['service RSS (MB)', fmt(report.rssMB.start, 1), fmt(report.rssMB.max, 1), fmt(report.rssMB.end, 1), String(rss.length)],
      [
        'Redis used_memory (MB)',
        fmt(report.redisUsedMemoryMB.start, 1),
        fmt(report.redisUsedMemoryMB.max, 1),
        fmt(report.redisUsedMemoryMB.end, 1),
        String(redisMemory.length),
      ],
    ]),
    `logs: ${report.logs.warn} warn, ${report.logs.error} error, ${report.logs.fatal} fatal lines; ${logs.stderrLines} stderr lines`,
    ...report.logs.topMessages.map(([msg, n]) => `  ${String(n).padStart(6)}  ${msg}`),
  ];
  if (looksWrong) {
    lines.push('service stderr (tail):', ...(logs.stderrTail.length ? logs.stderrTail.map((l) => `  ${l}`) : ['  (empty)']));
    lines.push('last warn/error lines:', ...logs.warnTail.slice(-10).map((l) => `  ${l}`));
  }
  if (failures.length) lines.push('FAILED:', ...failures.map((f) => `  ${f}`));
  lines.push(`report written to ${REPORT_FILE}`);
  console.log(lines.join('\n'));
  return failures.length ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`soak: ${signal}; stopping everything`);
    abandon(130).catch(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`soak failed: ${error instanceof Error ? error.stack : error}`);
    abandon(1).catch(() => process.exit(1));
  },
);
