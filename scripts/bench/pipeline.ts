/**
 * The whole path, callback to CometChat, for the service and the bare baseline (targets.ts), against a fake
 * CometChat in this process that answers every send at once:
 * - backlog: N callbacks of ONE conversation stored by an api process while no worker takes them, then drained by
 *   one worker process; the rate from the first reply to the last (the baseline echoes in any order, the service
 *   in order);
 * - Redis commands per delivered echo message at backlog depth 1, 50 and 500 (counted with MONITOR, in runs of
 *   their own): the commands clients sent, and every command Redis ran (scripts' calls included);
 * - end to end: 3,000 callbacks from 101 senders into one APP_ROLE=all process, rate from the first post to the
 *   last reply; and the Redis bytes kept per message afterwards (completed jobs, dedupe keys, event streams).
 *
 * The backlog and the end-to-end run also run on `chained` (targets.ts): the bare handler ordered by BullMQ's own
 * flows, so the report shows beside the service's figures what order alone costs on BullMQ's open-source API.
 *
 *   BENCH_BACKLOG (400), BENCH_WARM_UP (0), BENCH_E2E_MESSAGES (3000), BENCH_E2E_SENDERS (101),
 *   BENCH_PIPELINE_ROUNDS (3), BENCH_CHAINED (1; 0 leaves the chained drain out)
 */
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { createServer, IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cpuOf, startServer, stopServer, Server } from './children';
import { bullmqScriptsKnown, COMMAND_KINDS, commandKind, CommandKind, KIND_MEANING, ourScriptOf } from './command-kinds';
import { bytesUnder, deleteKeys, fmt, median, positive, redisCpuUs, REPO_ROOT, table } from './report';
import { AnyTarget, PASSWORD, REDIS_URL, Target, USERNAME, WEBHOOK_PATH } from './targets';

const BACKLOG = positive('BENCH_BACKLOG', 400);
const E2E_MESSAGES = positive('BENCH_E2E_MESSAGES', 3000);
const E2E_SENDERS = positive('BENCH_E2E_SENDERS', 101);
const ROUNDS = positive('BENCH_PIPELINE_ROUNDS', 3);
const DEPTHS = [1, 50, 500];
/** Messages the worker answers before a timed backlog, to run it warm (0: a worker started on the backlog, cold). */
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? '0');
const TARGETS: Target[] = ['baseline', 'service'];
const CHAINED = process.env.BENCH_CHAINED !== '0';

const template = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'user-text.json'), 'utf8'));
// Digits, increasing, as CometChat's ids are; unique across runs.
let nextId = Date.now() * 1000;
const authorization = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;

/** A text callback from `sender`; to `bot` (its `bot` field and receiver) when given, else to the fixture's bot. */
export function callback(sender: string, bot?: string): { body: string; id: string } {
  const id = String(nextId++);
  const data = { ...template.data, id, sender, data: { ...template.data.data, text: `echo ${id}` } };
  const message = bot ? { ...template, bot, data: { ...data, receiver: bot, conversationId: `${sender}_user_${bot}` } } : { ...template, data };
  return { body: JSON.stringify(message), id };
}

/** The bot a Send Bot Message call is for: `{apiUrl}/bots/{uid}/messages`, the apiUrl ending in /v3. */
const SEND_PATH = /^\/v3\/bots\/([^/?]+)\/messages$/;
/** A bot, as the boot check of its app's credentials asks for it. */
const BOT_PATH = /^\/v3\/bots\/([^/?]+)\/?(?:\?.*)?$/;

/**
 * CometChat's Send Bot Message, answered at once, on every bot's path (`/v3/bots/{uid}/messages`); remembers what
 * each bot's receiver got, in order. Any other path is answered 404 and fails the wait for replies.
 */
export class FakeCometChat {
  /** Texts by `<bot uid>/<receiver>`, in the order they came. */
  readonly received = new Map<string, string[]>();
  count = 0;
  /** TCP connections opened to it since the last reset. */
  connections = 0;
  private server: HttpServer;
  private waiters: Array<{ count: number; resolve: () => void; reject: (error: Error) => void }> = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', () => this.connections++);
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3`;
  }

  reset(): void {
    this.received.clear();
    this.count = 0;
    this.connections = 0;
  }

  /** Resolves once `count` replies have arrived since the last reset. */
  until(count: number, timeoutMs = 300_000): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.count} of ${count} replies arrived`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()), reject: (error) => (clearTimeout(timer), reject(error)) });
    });
  }

  /** Replies that came in a different order than their messages' ids (per receiver). */
  outOfOrder(): number {
    let wrong = 0;
    for (const texts of this.received.values()) {
      const ids = texts.map((t) => BigInt(t.replace(/^echo /, '')));
      for (let i = 1; i < ids.length; i++) if (ids[i] < ids[i - 1]) wrong++;
    }
    return wrong;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // The boot check of each bot's app credentials (GET /bots/{uid}): the bot exists, the key is good.
      const checked = req.method === 'GET' ? BOT_PATH.exec(req.url ?? '')?.[1] : undefined;
      if (checked !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { uid: decodeURIComponent(checked) } }));
        return;
      }
      const bot = SEND_PATH.exec(req.url ?? '')?.[1];
      if (bot === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not a Send Bot Message path"}');
        const error = new Error(`the fake CometChat was called on ${req.method} ${req.url}, not a bot's send path`);
        for (const waiter of this.waiters.splice(0)) waiter.reject(error);
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const key = `${decodeURIComponent(bot)}/${body.receiver}`;
      const list = this.received.get(key) ?? [];
      list.push(body.data?.text);
      this.received.set(key, list);
      this.count++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { id: String(this.count), ...body } }));
      this.waiters = this.waiters.filter((w) => (this.count >= w.count ? (w.resolve(), false) : true));
    });
  }
}

/** Posts one callback, to `path` with `auth` (the one bot's by default); it must be accepted. */
export async function post(port: number, body: string, path = WEBHOOK_PATH, auth = authorization): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body,
  });
  const answer = await response.text();
  if (response.status !== 200 || !answer.includes('"accepted"')) throw new Error(`webhook answered ${response.status}: ${answer}`);
}

/** Posts every body, `concurrency` at a time. */
async function postAll(port: number, bodies: string[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) await post(port, bodies[next++]);
    }),
  );
}

export interface Counts {
  sent: number;
  all: number;
  /** The sent commands by what they are for (command-kinds.ts). */
  byKind: Record<CommandKind, number>;
  /** The calls of the service's own scripts, by name (passSendGate, …): part of the 'order' kind. */
  scripts: Record<string, number>;
}

export const perMessage = ({ sent, all, byKind, scripts }: Counts, messages: number): Counts => ({
  sent: sent / messages,
  all: all / messages,
  byKind: Object.fromEntries(COMMAND_KINDS.map((kind) => [kind, byKind[kind] / messages])) as Record<CommandKind, number>,
  scripts: Object.fromEntries(Object.entries(scripts).map(([name, n]) => [name, n / messages])),
});

/**
 * Every command Redis ran for one prefix while `work` ran: sent by clients, and run inside scripts. Read from
 * `redis-cli monitor` (ioredis' MONITOR connection failed now and then on a busy Redis, "Command queue state
 * error"); an ECHO of a marker after the work tells when the stream has caught up with it.
 */
export async function countCommands(redis: Redis, prefix: string, work: () => Promise<void>): Promise<Counts> {
  const monitor = spawn('redis-cli', ['-u', REDIS_URL, 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: monitor.stdout });
  const end = `${prefix}:counted`;
  let sent = 0;
  let all = 0;
  const byKind = Object.fromEntries(COMMAND_KINDS.map((kind) => [kind, 0])) as Record<CommandKind, number>;
  const scripts: Record<string, number> = {};
  let started: () => void;
  let ended: () => void;
  const attached = new Promise<void>((resolve) => (started = resolve));
  const caughtUp = new Promise<void>((resolve) => (ended = resolve));
  const exited = new Promise<never>((_, reject) => monitor.on('exit', (code) => reject(new Error(`redis-cli monitor exited (${code})`))));
  lines.on('line', (line) => {
    if (line === 'OK') return started();
    if (!line.includes(prefix)) return;
    if (line.includes(end)) return ended();
    all++;
    if (/^\S+ \[\d+ lua\]/.test(line)) return;
    sent++;
    const kind = commandKind(line);
    byKind[kind]++;
    const script = kind === 'order' ? ourScriptOf(line) : undefined;
    if (script) scripts[script] = (scripts[script] ?? 0) + 1;
  });
  try {
    await Promise.race([attached, exited]);
    await work();
    await redis.echo(end);
    await Promise.race([caughtUp, exited]);
  } finally {
    monitor.kill();
  }
  return { sent, all, byKind, scripts };
}

interface Env {
  redis: Redis;
  cometchat: FakeCometChat;
}

const cpuUs = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

const freshPrefix = (target: AnyTarget) => `bench-pipe-${target}-${randomBytes(4).toString('hex')}`;

/**
 * N callbacks of one conversation stored while no worker takes them, then drained by one worker process: started
 * on the backlog (cold, as after a restart), or with BENCH_WARM_UP, warmed up first on other conversations and
 * held off with BullMQ's own queue pause while the backlog is stored (both targets alike).
 */
async function backlog(env: Env, target: AnyTarget, depth: number, counting = false) {
  const prefix = freshPrefix(target);
  const servers: Server[] = [];
  const events = new Queue('events', { connection: { url: REDIS_URL }, prefix });
  events.on('error', () => undefined);
  let cpu: { workerUs: number; redisUs: number; messages: number } | undefined;
  const run = async () => {
    const api = await startServer({ target, prefix, role: 'api', cometchatUrl: env.cometchat.url });
    servers.push(api);
    const warm = !counting && WARM_UP > 0;
    if (warm) {
      servers.push(await startServer({ target, prefix, role: 'worker', cometchatUrl: env.cometchat.url }));
      const warmUp = Array.from({ length: WARM_UP }, (_, i) => callback(`warm-up-${i % 10}`).body);
      env.cometchat.reset();
      await postAll(api.port, warmUp, 10);
      await env.cometchat.until(WARM_UP);
      await events.pause();
    }
    env.cometchat.reset();
    const bodies = Array.from({ length: depth }, () => callback('backlog-user').body);
    await postAll(api.port, bodies, 1);
    if (warm) await events.resume();
    else servers.push(await startServer({ target, prefix, role: 'worker', cometchatUrl: env.cometchat.url }));
    await env.cometchat.until(1);
    const first = process.hrtime.bigint();
    const worker = servers[servers.length - 1];
    const [workerBefore, redisBefore] = await Promise.all([cpuOf(worker), redisCpuUs(env.redis)]);
    await env.cometchat.until(depth);
    const seconds = Number(process.hrtime.bigint() - first) / 1e9;
    const [workerAfter, redisAfter] = await Promise.all([cpuOf(worker), redisCpuUs(env.redis)]);
    // Per message after the first reply (the CPU readings are taken a little after it, so this is a slight underestimate).
    cpu = { workerUs: cpuUs(workerAfter) - cpuUs(workerBefore), redisUs: redisAfter - redisBefore, messages: depth - 1 };
    return seconds;
  };
  try {
    if (counting) {
      const counts = await countCommands(env.redis, prefix, async () => void (await run()));
      return { counts, outOfOrder: env.cometchat.outOfOrder() };
    }
    const seconds = await run();
    return {
      rate: depth > 1 ? (depth - 1) / seconds : Number.NaN,
      outOfOrder: env.cometchat.outOfOrder(),
      workerUsPerMessage: cpu!.workerUs / cpu!.messages,
      redisUsPerMessage: cpu!.redisUs / cpu!.messages,
    };
  } finally {
    await Promise.allSettled(servers.map(stopServer));
    await events.close();
    await deleteKeys(env.redis, prefix);
  }
}

/** Depth 1: one message at a time, each posted once the last one's reply arrived. */
async function oneAtATime(env: Env, target: Target, messages = 50) {
  const prefix = freshPrefix(target);
  env.cometchat.reset();
  const servers = [
    await startServer({ target, prefix, role: 'api', cometchatUrl: env.cometchat.url }),
    await startServer({ target, prefix, role: 'worker', cometchatUrl: env.cometchat.url }),
  ];
  try {
    const counts = await countCommands(env.redis, prefix, async () => {
      for (let i = 1; i <= messages; i++) {
        await post(servers[0].port, callback('steady-user').body);
        await env.cometchat.until(i);
      }
    });
    return { counts: perMessage(counts, messages) };
  } finally {
    await Promise.allSettled(servers.map(stopServer));
    await deleteKeys(env.redis, prefix);
  }
}

/** Many senders into one APP_ROLE=all process, as fast as it takes them; then what Redis keeps per message. */
async function endToEnd(env: Env, target: AnyTarget) {
  const prefix = freshPrefix(target);
  env.cometchat.reset();
  const server = await startServer({ target, prefix, role: 'all', cometchatUrl: env.cometchat.url });
  try {
    const bodies = Array.from({ length: E2E_MESSAGES }, (_, i) => callback(`sender-${i % E2E_SENDERS}`).body);
    const before = Number((await env.redis.info('stats')).match(/total_commands_processed:(\d+)/)![1]);
    const [serverBefore, redisBefore] = await Promise.all([cpuOf(server), redisCpuUs(env.redis)]);
    const started = process.hrtime.bigint();
    await postAll(server.port, bodies, 50);
    await env.cometchat.until(E2E_MESSAGES);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [serverAfter, redisAfter] = await Promise.all([cpuOf(server), redisCpuUs(env.redis)]);
    const after = Number((await env.redis.info('stats')).match(/total_commands_processed:(\d+)/)![1]);
    const { total, byKind } = await bytesUnder(env.redis, prefix);
    return {
      rate: E2E_MESSAGES / seconds,
      commands: (after - before) / E2E_MESSAGES,
      serverUsPerMessage: (cpuUs(serverAfter) - cpuUs(serverBefore)) / E2E_MESSAGES,
      redisUsPerMessage: (redisAfter - redisBefore) / E2E_MESSAGES,
      bytesPerMessage: total / E2E_MESSAGES,
      bytesByKind: [...byKind].map(([kind, bytes]) => [kind, bytes / E2E_MESSAGES] as const).sort((a, b) => b[1] - a[1]),
      outOfOrder: env.cometchat.outOfOrder(),
    };
  } finally {
    await stopServer(server);
    await deleteKeys(env.redis, prefix);
  }
}

export async function runPipelineBench(): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const cometchat = await new FakeCometChat().start();
  const env = { redis, cometchat };
  try {
    console.log(
      `\npipeline: backlog ${BACKLOG} in one conversation, ${E2E_MESSAGES} messages from ${E2E_SENDERS} senders end to end, ${ROUNDS} round(s)`,
    );

    type Drain = { rate: number; outOfOrder: number; workerUsPerMessage: number; redisUsPerMessage: number };
    const drains: Record<AnyTarget, Drain[]> = { baseline: [], service: [], chained: [] };
    const e2e: Record<AnyTarget, Array<Awaited<ReturnType<typeof endToEnd>>>> = { baseline: [], service: [], chained: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const compared: AnyTarget[] = round % 2 ? TARGETS : [...TARGETS].reverse();
      for (const target of CHAINED ? [...compared, 'chained' as const] : compared) {
        const drain = (await backlog(env, target, BACKLOG)) as Drain;
        drains[target].push(drain);
        const whole = await endToEnd(env, target);
        e2e[target].push(whole);
        console.log(
          `  ${target} #${round}: backlog ${fmt(drain.rate)} msgs/s (${drain.outOfOrder} out of order; CPU µs/msg worker ` +
            `${fmt(drain.workerUsPerMessage)}, Redis ${fmt(drain.redisUsPerMessage)}); end to end ${fmt(whole.rate)} msgs/s ` +
            `(CPU µs/msg server ${fmt(whole.serverUsPerMessage)}, Redis ${fmt(whole.redisUsPerMessage)}), ` +
            `${fmt(whole.commands, 1)} Redis commands/msg, ${fmt(whole.bytesPerMessage)} B/msg kept`,
        );
      }
    }

    const counts: Record<Target, Counts[]> = { baseline: [], service: [] };
    for (const target of TARGETS) {
      for (const depth of DEPTHS) {
        const { counts: perRun } = depth === 1 ? await oneAtATime(env, target) : ((await backlog(env, target, depth, true)) as { counts: Counts });
        counts[target].push(depth === 1 ? perRun : perMessage(perRun, depth));
      }
    }

    console.log('');
    console.log(
      table([
        ['median of rounds', 'backlog msgs/s', 'backlog out of order', 'e2e msgs/s', 'e2e cmds/msg', 'B/msg kept'],
        ...TARGETS.map((target) => [
          target,
          fmt(median(drains[target].map((r) => r.rate))),
          String(drains[target].reduce((n, r) => n + r.outOfOrder, 0)),
          fmt(median(e2e[target].map((r) => r.rate))),
          fmt(median(e2e[target].map((r) => r.commands)), 1),
          fmt(median(e2e[target].map((r) => r.bytesPerMessage))),
        ]),
      ]),
    );
    console.log('');
    console.log(
      table([
        ['Redis commands per delivered echo', ...DEPTHS.map((d) => `depth ${d}: sent`), ...DEPTHS.map((d) => `depth ${d}: all`)],
        ...TARGETS.map((target) => [target, ...counts[target].map((c) => fmt(c.sent, 1)), ...counts[target].map((c) => fmt(c.all, 1))]),
      ]),
    );
    console.log('  (sent: commands the processes sent; all: every command Redis ran, those inside Lua scripts included)');
    console.log('');
    console.log(
      table([
        ['commands sent per delivered echo, by kind', ...DEPTHS.map((d) => `depth ${d}`)],
        ...TARGETS.flatMap((target) => COMMAND_KINDS.map((kind) => [`${target}: ${kind}`, ...counts[target].map((c) => fmt(c.byKind[kind], 1))])),
      ]),
    );
    for (const kind of COMMAND_KINDS) console.log(`  ${kind}: ${KIND_MEANING[kind]}`);
    if (!bullmqScriptsKnown()) console.log("  (BullMQ's scripts could not be named: their calls are counted as 'other')");
    for (const target of TARGETS) {
      const last = e2e[target][e2e[target].length - 1];
      const parts = last.bytesByKind.filter(([, bytes]) => bytes >= 1).map(([kind, bytes]) => `${kind} ${fmt(bytes)}`);
      console.log(`  ${target}: bytes kept per message by kind of key: ${parts.join(', ')}`);
    }
    console.log('');
    // Medians of per-round ratios, `of` against `to`.
    const ratio = <T>(runs: Record<AnyTarget, T[]>, of: AnyTarget, to: AnyTarget, pick: (r: T) => number) =>
      median(runs[of].map((r, i) => pick(r) / pick(runs[to][i])));
    const rate = (r: { rate: number }) => r.rate;
    /** A rate verdict, with CPU per message (the process's and Redis's: steadier where rates drift) and `chained`'s. */
    const verdict = <T extends { rate: number }>(what: string, runs: Record<AnyTarget, T[]>, goal: string, cpu: (r: T) => number, whose: string) => {
      const serviceRate = ratio(runs, 'service', 'baseline', rate);
      console.log(
        `${what} service/baseline (median of rounds): ${fmt(serviceRate, 3)}; goal >= ${goal}: ${serviceRate >= Number(goal) ? 'PASS' : 'FAIL'}`,
      );
      console.log(`  CPU per message (${whose} + Redis) service/baseline: ${fmt(ratio(runs, 'service', 'baseline', cpu), 3)}`);
      if (!CHAINED) return;
      const chained = `rate ${fmt(ratio(runs, 'chained', 'baseline', rate), 3)}, CPU per message ${fmt(ratio(runs, 'chained', 'baseline', cpu), 3)}`;
      console.log(
        `  ordered by BullMQ's flows alone, chained/baseline: ${chained}; service/chained rate ${fmt(ratio(runs, 'service', 'chained', rate), 3)}`,
      );
    };
    verdict('backlog drain', drains, '0.5', (r) => r.workerUsPerMessage + r.redisUsPerMessage, 'worker');
    verdict('end to end', e2e, '1.0', (r) => r.serverUsPerMessage + r.redisUsPerMessage, 'server');
    const sent = counts.service.map((c) => c.sent);
    console.log(
      `service commands sent per message at depth ${DEPTHS.join(' / ')}: ${sent.map((c) => fmt(c, 1)).join(' / ')}; goal <= 40 at each: ${sent.every((c) => c <= 40) ? 'PASS' : 'FAIL'}`,
    );
    // Only the backlog is posted in id order; end to end, 50 posts at a time may arrive out of id order.
    for (const target of ['service', 'chained'] as const) {
      const wrong = drains[target].reduce((n, r) => n + r.outOfOrder, 0);
      if (wrong > 0) {
        console.error(`bench: ${target} delivered ${wrong} replies out of their conversation's order`);
        return 1;
      }
    }
    return 0;
  } finally {
    await cometchat.stop();
    redis.disconnect();
  }
}
