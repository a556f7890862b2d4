/**
 * Webhook ingest: the real service (APP_ROLE=api, so only the hot path runs) side by side with the bare Fastify +
 * BullMQ handler (targets.ts). Rounds alternate between the two; the verdict is the median of each round's ratio,
 * which a slow drift of this shared machine moves less than any single round. A second phase compares p99 at
 * equal offered load.
 *
 *   BENCH_SECONDS (5), BENCH_CONNECTIONS (50), BENCH_ROUNDS (8), BENCH_WARMUP_SECONDS (3), BENCH_EQUAL_RATE (0.8;
 *   0 skips that phase), BENCH_BASELINE_TURNS (0; 1 makes the baseline take the service's place in line too)
 */
import type autocannon from 'autocannon';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { killChildren, cpuOf, Server, startServer, stopServer } from './children';
import { deleteKeys, fmt, median, positive, redisCpuUs, REPO_ROOT, sleep, table } from './report';
import { AnyTarget, PASSWORD, REDIS_URL, Target, USERNAME, WEBHOOK_PATH as PATH } from './targets';

const SECONDS = positive('BENCH_SECONDS', 5);
const CONNECTIONS = positive('BENCH_CONNECTIONS', 50);
const ROUNDS = positive('BENCH_ROUNDS', 8);
const WARMUP_SECONDS = positive('BENCH_WARMUP_SECONDS', 3);
// Both targets at one fixed offered rate (this share of the service's best requests/s): p99 at equal throughput.
const EQUAL_RATE_SHARE = Number(process.env.BENCH_EQUAL_RATE ?? '0.8');
const BASELINE_TURNS = process.env.BENCH_BASELINE_TURNS === '1';
const GOAL = 1.0;

/** A read-only handle on each server's events queue, to count what was stored. */
const inspectors: Record<string, Queue> = {};
const eventsQueue = (server: Server) =>
  (inspectors[server.prefix] ??= (() => {
    const queue = new Queue('events', { connection: { url: REDIS_URL }, prefix: server.prefix });
    queue.on('error', () => undefined);
    return queue;
  })());

interface RunResult {
  target: AnyTarget;
  /** The round number, or "rate" for the fixed-rate run. */
  round: number | 'rate';
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  accepted: number;
  duplicate: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  stored: number;
  /** Server CPU time (user+system) per answered request, in microseconds. */
  cpuPerRequestUs: number;
  /** Share of one core the server used during the run. */
  serverCpu: number;
  /** Share of one core this process (the load generator) used during the run. */
  driverCpu: number;
  /** Redis's CPU time per answered request, in microseconds (all of Redis: nothing else uses it during a run). */
  redisPerRequestUs: number;
  /** Share of one core Redis used during the run. */
  redisCpu: number;
}

/** The user-text fixture as a template: every request gets the next message id, so every one is a new store. */
const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'user-text.json'), 'utf8'));
fixture.data.id = '__BENCH_ID__';
const [bodyHead, bodyTail] = JSON.stringify(fixture).split('__BENCH_ID__');
// Digits, as CometChat's ids are; unique across runs and rounds (and across concurrent bench runs).
let nextId = Date.now() * 1000 + Math.floor(Math.random() * 1000);

const headers = {
  'content-type': 'application/json',
  authorization: `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`,
};

function load(server: Server, seconds: number, overallRate?: number) {
  const counts = { accepted: 0, duplicate: 0 };
  // Loaded here, in the driver only: autocannon loads node:domain, which slows every EventEmitter it is loaded in.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, for the reason above
  const run = require('autocannon') as typeof autocannon;
  return new Promise<{ result: autocannon.Result; counts: typeof counts }>((resolve, reject) => {
    run(
      {
        url: `http://127.0.0.1:${server.port}${PATH}`,
        method: 'POST',
        connections: CONNECTIONS,
        duration: seconds,
        ...(overallRate ? { overallRate } : {}),
        headers,
        requests: [
          {
            setupRequest: (request) => ({ ...request, body: `${bodyHead}${nextId++}${bodyTail}` }),
            onResponse: (status, body) => {
              if (status !== 200) return;
              if (body.includes('"accepted"')) counts.accepted++;
              else if (body.includes('"duplicate"')) counts.duplicate++;
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ result, counts })),
    );
  });
}

async function storedJobs(server: Server): Promise<number> {
  const counts = await eventsQueue(server).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** The stored-job count once it stops changing: requests cut off when a run ended may still be landing. */
async function settledJobCount(server: Server): Promise<number> {
  let last = await storedJobs(server);
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = await storedJobs(server);
    if (now === last) return now;
    last = now;
  }
  return last;
}

async function measure(server: Server, round: RunResult['round'], redis: Redis, overallRate?: number): Promise<RunResult> {
  const [cpuBefore, redisBefore] = await Promise.all([cpuOf(server), redisCpuUs(redis)]);
  const driverBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const { result, counts } = await load(server, SECONDS, overallRate);
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
  const driver = process.cpuUsage(driverBefore);
  const [cpuAfter, redisAfter] = await Promise.all([cpuOf(server), redisCpuUs(redis)]);
  const stored = await settledJobCount(server);
  await deleteKeys(redis, server.prefix); // every run starts from an empty queue
  const serverUs = cpuAfter.user - cpuBefore.user + (cpuAfter.system - cpuBefore.system);
  const ok = result['2xx'];
  return {
    target: server.target,
    round,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    accepted: counts.accepted,
    duplicate: counts.duplicate,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    stored,
    cpuPerRequestUs: ok > 0 ? serverUs / ok : Number.NaN,
    serverCpu: serverUs / elapsedUs,
    driverCpu: (driver.user + driver.system) / elapsedUs,
    redisPerRequestUs: ok > 0 ? (redisAfter - redisBefore) / ok : Number.NaN,
    redisCpu: (redisAfter - redisBefore) / elapsedUs,
  };
}

const label = (r: RunResult) => (r.round === 'rate' ? `${r.target} @rate` : `${r.target} #${r.round}`);

function printRuns(runs: RunResult[]): void {
  const rows = [
    [
      'run',
      'req/s',
      'p50 ms',
      'p99 ms',
      '2xx',
      'accepted',
      'dup',
      'non2xx',
      'errors',
      'stored',
      'srv µs/req',
      'srv cpu',
      'redis µs/req',
      'redis cpu',
      'driver cpu',
    ],
    ...runs.map((r) => [
      label(r),
      fmt(r.rps),
      fmt(r.p50),
      fmt(r.p99),
      String(r.ok),
      String(r.accepted),
      String(r.duplicate),
      String(r.non2xx),
      String(r.errors),
      String(r.stored),
      fmt(r.cpuPerRequestUs),
      `${fmt(r.serverCpu * 100)}%`,
      fmt(r.redisPerRequestUs),
      `${fmt(r.redisCpu * 100)}%`,
      `${fmt(r.driverCpu * 100)}%`,
    ]),
  ];
  console.log(table(rows));
}

/** The round with the most requests/s stands for its target (the least disturbed by the machine's noise). */
const best = (runs: RunResult[], target: Target) => runs.filter((r) => r.target === target).reduce((a, b) => (b.rps > a.rps ? b : a));

/** For rounds 1..rounds: the service's figure over the baseline's in the same round. */
function paired(runs: RunResult[], rounds: number, pick: (r: RunResult) => number): number[] {
  const of = (target: Target, round: number) => pick(runs.find((r) => r.target === target && r.round === round)!);
  return Array.from({ length: rounds }, (_, i) => of('service', i + 1) / of('baseline', i + 1));
}

/** Problems that make the numbers untrustworthy: failed or non-2xx requests, answers not stored. */
function problemsOf(r: RunResult): string[] {
  const problems: string[] = [];
  if (r.non2xx > 0) problems.push(`${r.non2xx} non-2xx answers`);
  if (r.errors > 0) problems.push(`${r.errors} request errors (${r.timeouts} timeouts)`);
  if (r.duplicate > 0) problems.push(`${r.duplicate} answered "duplicate" though every id was new`);
  if (r.accepted !== r.ok) problems.push(`${r.ok - r.accepted} 2xx answers were not "accepted"`);
  // Every accepted answer must be a stored job; requests cut off when the run ended may add up to one per connection.
  if (r.stored < r.accepted) problems.push(`only ${r.stored} jobs stored for ${r.accepted} accepted answers`);
  if (r.stored > r.accepted + CONNECTIONS) problems.push(`${r.stored} jobs stored for ${r.accepted} accepted answers`);
  return problems;
}

export async function runIngestBench(): Promise<number> {
  const tag = randomBytes(4).toString('hex');
  const prefixes: Record<Target, string> = { baseline: `bench-bare-${tag}`, service: `bench-svc-${tag}` };
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const servers: Server[] = [];
  const deadline = setTimeout(
    () => {
      console.error('bench: overran its time limit; stopping');
      killChildren();
      process.exit(1);
    },
    (WARMUP_SECONDS * 2 + (SECONDS + 15) * ROUNDS * 3 + 180) * 1000,
  );
  deadline.unref();

  try {
    console.log(
      `bench: ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} round(s), ${WARMUP_SECONDS} s warm-up; Redis ${REDIS_URL}` +
        `; baseline ${BASELINE_TURNS ? 'with' : 'without'} the turn claim` +
        '',
    );
    const baseline = await startServer({ target: 'baseline', prefix: prefixes.baseline, role: 'api', baselineClaims: BASELINE_TURNS });
    servers.push(baseline);
    const service = await startServer({ target: 'service', prefix: prefixes.service, role: 'api' });
    servers.push(service);

    for (const server of [baseline, service]) {
      const { result } = await load(server, WARMUP_SECONDS);
      await settledJobCount(server);
      await deleteKeys(redis, server.prefix);
      console.log(`  warm-up ${server.target}: ${result['2xx']} requests`);
      if (result['2xx'] === 0) throw new Error(`${server.target}: no 2xx answer during warm-up (non2xx ${result.non2xx}, errors ${result.errors})`);
    }

    const runs: RunResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so that neither always runs just after the other's load.
      const order = round % 2 ? [baseline, service] : [service, baseline];
      for (const server of order) {
        const run = await measure(server, round, redis);
        runs.push(run);
        console.log(`  ${run.target} #${round}: ${fmt(run.rps)} req/s, p99 ${fmt(run.p99)} ms`);
      }
    }

    console.log('');
    printRuns(runs);
    const b = best(runs, 'baseline');
    const s = best(runs, 'service');
    const throughput = s.rps / b.rps;
    const p99 = s.p99 / b.p99;
    console.log('');
    console.log(
      table([
        ['best round', 'req/s', 'p50 ms', 'p99 ms', 'srv µs/req'],
        ['baseline (bare Fastify + BullMQ)', fmt(b.rps), fmt(b.p50), fmt(b.p99), fmt(b.cpuPerRequestUs)],
        ['service (Nest, APP_ROLE=api)', fmt(s.rps), fmt(s.p50), fmt(s.p99), fmt(s.cpuPerRequestUs)],
      ]),
    );
    console.log('');
    // Each round's service run against the baseline run beside it: less exposed to slow drifts of the machine.
    const roundRatios = paired(runs, ROUNDS, (r) => r.rps);
    const cpuRatios = paired(runs, ROUNDS, (r) => r.cpuPerRequestUs);
    const throughputRatio = median(roundRatios);
    console.log(`throughput service/baseline: per round ${roundRatios.map((x) => fmt(x, 3)).join(', ')}; median ${fmt(throughputRatio, 3)}`);
    console.log(`  best rounds: ${fmt(throughput, 3)}; their p99 service/baseline: ${fmt(p99, 3)}`);
    console.log(
      `server CPU per request service/baseline: per round ${cpuRatios.map((x) => fmt(x, 3)).join(', ')}; median ${fmt(median(cpuRatios), 3)}`,
    );
    console.log(`goal: median throughput ratio >= ${GOAL.toFixed(2)}: ${throughputRatio >= GOAL ? 'PASS' : 'FAIL'}`);
    const starved = runs.filter((r) => r.serverCpu < 0.9);
    if (starved.length > 0) {
      // A closed-loop server that is not near 100% of a core is being held back by something else on the machine.
      console.log(
        `note: ${starved.map(label).join(', ')} used under 90% of a core, so other load on the machine held the servers back ` +
          `and the throughput ratio is noisy; the CPU-per-request ratio (median ${fmt(median(cpuRatios), 3)}, ` +
          `implying a CPU-bound throughput ratio near ${fmt(1 / median(cpuRatios), 3)}) is the steadier figure.`,
      );
    }

    if (EQUAL_RATE_SHARE > 0) {
      const rate = Math.max(1, Math.round(s.rps * EQUAL_RATE_SHARE));
      const rateRounds = Math.max(1, Math.ceil(ROUNDS / 2));
      console.log(
        `\nequal offered load: both at ${rate} req/s (${fmt(EQUAL_RATE_SHARE * 100)}% of the service's best), ${rateRounds} round(s) of ${SECONDS} s`,
      );
      const paced: RunResult[] = [];
      for (let round = 1; round <= rateRounds; round++) {
        for (const server of round % 2 ? [baseline, service] : [service, baseline]) {
          paced.push({ ...(await measure(server, 'rate', redis, rate)), round });
        }
      }
      runs.push(...paced.map((r) => ({ ...r, round: 'rate' as const })));
      printRuns(paced);
      const p99Ratios = paired(paced, rateRounds, (r) => r.p99);
      console.log(`p99 at equal load service/baseline: per round ${p99Ratios.map((x) => fmt(x, 3)).join(', ')}; median ${fmt(median(p99Ratios), 3)}`);
    }

    const problems = runs.flatMap((r) => problemsOf(r).map((p) => `${label(r)}: ${p}`));
    if (problems.length > 0) {
      console.error(`\nbench: the numbers are not trustworthy:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      return 1;
    }
    return 0;
  } finally {
    await Promise.allSettled(servers.map(stopServer));
    await Promise.allSettled(Object.values(inspectors).map((queue) => queue.close()));
    for (const prefix of Object.values(prefixes)) await deleteKeys(redis, prefix).catch(() => undefined);
    redis.disconnect();
    clearTimeout(deadline);
  }
}
