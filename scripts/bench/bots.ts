/**
 * Several bots in one deployment (issue 25; docs/configuration.md "Several bots"): the end-to-end run of
 * pipeline.ts (one APP_ROLE=all process of the service, the fake CometChat, the callbacks posted 50 at a time, the rate
 * from the first post to the last reply, a fresh process and key prefix each run) in two shapes of the same size:
 * - `1 bot`: the single-bot variables, as every other figure of the bench; BENCH_BOTS × BENCH_BOTS_CONVERSATIONS
 *   senders;
 * - `25 bots`: a generated BOTS_FILE of BENCH_BOTS bots in two apps, each bot with its own webhook password, and
 *   BENCH_BOTS_CONVERSATIONS senders each. Each callback goes to its bot's path (`/webhooks/cometchat/{uid}`) with its
 *   `bot` field and that bot's credentials; every reply must come to its bot's send path (`{apiUrl}/bots/{uid}/messages`).
 * The same number of conversations and messages, message i in conversation i mod conversations. Rounds alternate the
 * two; the ratios are medians of per-round ratios: throughput, and CPU per message (server + Redis, as pipeline's).
 * Each timed run also reads, per shape, Redis commands per message (INFO's total_commands_processed, as pipeline's
 * "e2e cmds/msg"), and while it runs the server process's TCP connections to Redis (from /proc), Redis's
 * connected_clients above what it had before the server started, and BullMQ's workers of each queue (CLIENT LIST).
 * Then, in runs of their own counted with `redis-cli monitor`: commands per delivered message at depth 1 (one message
 * at a time through an api and a worker process, as pipeline's depth 1) and over one whole end-to-end run, by kind and
 * by the service's own scripts: with several bots each send asks its bot's gate first (passSendGate, one call a send).
 *
 *   BENCH_BOTS (25), BENCH_BOTS_CONVERSATIONS (4 per bot), BENCH_BOTS_MESSAGES (BENCH_E2E_MESSAGES or 3000),
 *   BENCH_BOTS_ROUNDS (BENCH_PIPELINE_ROUNDS or 3), BENCH_BOTS_DEPTH1 (100 messages), BENCH_BOTS_COUNT (1; 0 leaves the
 *   monitor-counted runs out). A short run of this phase alone: BENCH_PHASES=bots BENCH_BOTS_MESSAGES=600 BENCH_BOTS_ROUNDS=1.
 */
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuOf, Server, startServer, stopServer } from './children';
import { COMMAND_KINDS, KIND_MEANING } from './command-kinds';
import { callback, countCommands, Counts, FakeCometChat, perMessage, post } from './pipeline';
import { deleteKeys, fmt, median, positive, redisCpuUs, sleep, table } from './report';
import { BOT_UID, PASSWORD, REDIS_URL, USERNAME, WEBHOOK_PATH } from './targets';

const BOTS = positive('BENCH_BOTS', 25);
const PER_BOT = positive('BENCH_BOTS_CONVERSATIONS', 4);
const CONVERSATIONS = BOTS * PER_BOT;
const MESSAGES = positive('BENCH_BOTS_MESSAGES', positive('BENCH_E2E_MESSAGES', 3000));
const ROUNDS = positive('BENCH_BOTS_ROUNDS', positive('BENCH_PIPELINE_ROUNDS', 3));
const DEPTH1 = positive('BENCH_BOTS_DEPTH1', 100);
const COUNT = process.env.BENCH_BOTS_COUNT !== '0';
/** How far the CPU-per-message ratio may stray from 1 and still read as "no more per message" (the verdict's bound). */
const TOLERANCE = 0.1;

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** A bot the load posts to: its callbacks' path and credentials, and the `bot` field it puts in them (none: the fixture's). */
interface PostedBot {
  uid: string;
  path: string;
  auth: string;
  field?: string;
}

/** A bot of the generated BOTS_FILE: its own webhook password. */
type FileBot = PostedBot & { password: string };

/** One of the two shapes: how its server is started, and where message i goes. */
interface Shape {
  name: string;
  botsFile?: string;
  /** The bot and sender of message i. */
  conversation(i: number): { bot: PostedBot; sender: string };
}

const oneBot: Shape = {
  name: '1 bot',
  conversation: (i) => ({ bot: { uid: BOT_UID, path: WEBHOOK_PATH, auth: basic(USERNAME, PASSWORD) }, sender: `sender-${i % CONVERSATIONS}` }),
};

/** BENCH_BOTS bots in two fake apps, each with a webhook password of its own, in a BOTS_FILE of a temporary directory. */
function severalBots(cometchatUrl: string): Shape & { remove: () => void } {
  const bots: FileBot[] = Array.from({ length: BOTS }, (_, b) => {
    const uid = `bench-bot-${String(b + 1).padStart(2, '0')}`;
    const password = `bench-${uid}-${randomBytes(6).toString('hex')}`;
    return { uid, path: `${WEBHOOK_PATH}/${uid}`, auth: basic(USERNAME, password), field: uid, password };
  });
  const apps = ['north', 'south'];
  const yaml = [
    'apps:',
    ...apps.map((app) => `  ${app}: { appId: "bench-${app}", region: us, apiKey: "bench-${app}-key", apiUrl: "${cometchatUrl}" }`),
    'bots:',
    ...bots.flatMap((bot, b) => [
      `  - uid: ${bot.uid}`,
      `    app: ${apps[b < BOTS / 2 ? 0 : 1]}`,
      `    webhook: { username: ${USERNAME}, password: "${bot.password}" }`,
    ]),
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'bench-bots-'));
  const botsFile = join(dir, 'bots.yaml');
  writeFileSync(botsFile, `${yaml}\n`);
  return {
    name: `${BOTS} bots`,
    botsFile,
    // Message i in conversation i mod CONVERSATIONS, as with one bot: bot (i mod BOTS), its sender ((i div BOTS) mod PER_BOT).
    conversation: (i) => {
      const c = i % CONVERSATIONS;
      return { bot: bots[c % BOTS], sender: `sender-${Math.floor(c / BOTS)}` };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface Message {
  body: string;
  id: string;
  bot: PostedBot;
}

function messages(shape: Shape, count: number): Message[] {
  return Array.from({ length: count }, (_, i) => {
    const { bot, sender } = shape.conversation(i);
    return { ...callback(sender, bot.field), bot };
  });
}

/** Posts every message, `concurrency` at a time, each to its bot's path with its bot's credentials. */
async function postAll(port: number, all: Message[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < all.length) {
        const { body, bot } = all[next++];
        await post(port, body, bot.path, bot.auth);
      }
    }),
  );
}

/** Replies that came on another bot's send path than their message's, or never came, or came twice. */
function misrouted(cometchat: FakeCometChat, sent: Message[]): number {
  const botOf = new Map(sent.map((m) => [m.id, m.bot.uid]));
  let wrong = 0;
  for (const [key, texts] of cometchat.received) {
    const uid = key.slice(0, key.indexOf('/'));
    for (const text of texts) {
      const id = text.replace(/^echo /, '');
      if (botOf.get(id) !== uid) wrong++;
      botOf.delete(id);
    }
  }
  return wrong + botOf.size;
}

const REDIS_PORT = Number(new URL(REDIS_URL).port || 6379);

/** The TCP connections a process holds to Redis's port (its sockets' inodes in /proc/net/tcp{,6}, established). */
function redisConnectionsOf(pid: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  let count = 0;
  for (const table of ['tcp', 'tcp6']) {
    const text = (() => {
      try {
        return readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
      } catch {
        return ''; // no IPv6
      }
    })();
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const remotePort = parseInt(fields[2].split(':').pop()!, 16);
      if (remotePort === REDIS_PORT && fields[3] === '01' && inodes.has(fields[9])) count++;
    }
  }
  return count;
}

const connectedClients = async (redis: Redis) => Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))![1]);
const commandsProcessed = async (redis: Redis) => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1]);

interface Connections {
  /** The server process's TCP connections to Redis, at most, while the run went on. */
  process: number;
  /** Redis's connected_clients above its count before the server started, at most. */
  clients: number;
  /** BullMQ's workers of each queue (by their connections' names). */
  workers: { events: number; replies: number };
  /** TCP connections the server opened to the fake CometChat during the run (its HTTP clients' keep-alive pools). */
  cometchat: number;
}

/** BullMQ's workers of a queue, as its getWorkers() finds them: connections named `<prefix>:<base64 queue>` (`…:w:<name>`). */
function workersIn(clientList: string, prefix: string, queue: string): number {
  const name = `${prefix}:${Buffer.from(queue).toString('base64')}`;
  return clientList.split('\n').filter((line) => {
    const client = / name=(\S*)/.exec(line)?.[1];
    return client === name || client?.startsWith(`${name}:w:`);
  }).length;
}

/** Samples the connections every 250 ms until stop() (the highest of each). */
function watchConnections(redis: Redis, server: Server, prefix: string, clientsBefore: number) {
  const seen: Connections = { process: 0, clients: 0, workers: { events: 0, replies: 0 }, cometchat: 0 };
  let running = true;
  const sample = async () => {
    const [clients, list] = await Promise.all([connectedClients(redis), redis.client('LIST') as Promise<string>]);
    seen.process = Math.max(seen.process, redisConnectionsOf(server.child.pid!));
    seen.clients = Math.max(seen.clients, clients - clientsBefore);
    seen.workers.events = Math.max(seen.workers.events, workersIn(list, prefix, 'events'));
    seen.workers.replies = Math.max(seen.workers.replies, workersIn(list, prefix, 'replies'));
  };
  const loop = (async () => {
    while (running) {
      await sample();
      await sleep(250);
    }
  })();
  return async (): Promise<Connections> => {
    running = false;
    await loop;
    return seen;
  };
}

interface Env {
  redis: Redis;
  cometchat: FakeCometChat;
}

const cpuUs = (usage: NodeJS.CpuUsage) => usage.user + usage.system;
const freshPrefix = () => `bench-bots-${randomBytes(4).toString('hex')}`;

interface Run {
  rate: number;
  commands: number;
  serverUsPerMessage: number;
  redisUsPerMessage: number;
  connections: Connections;
  misrouted: number;
  /** Redis's clients before the server started, this process's one included. */
  clientsBefore: number;
}

/** One end-to-end run of a shape in a fresh APP_ROLE=all process, timed as pipeline.ts's. */
async function endToEnd(env: Env, shape: Shape): Promise<Run> {
  const prefix = freshPrefix();
  env.cometchat.reset();
  // Redis's clients before the server starts: this process's connection (and whatever else uses this Redis).
  const clientsBefore = await connectedClients(env.redis);
  const server = await startServer({ target: 'service', prefix, role: 'all', cometchatUrl: env.cometchat.url, botsFile: shape.botsFile });
  try {
    const all = messages(shape, MESSAGES);
    const stopWatching = watchConnections(env.redis, server, prefix, clientsBefore);
    const before = await commandsProcessed(env.redis);
    const [serverBefore, redisBefore] = await Promise.all([cpuOf(server), redisCpuUs(env.redis)]);
    const started = process.hrtime.bigint();
    await postAll(server.port, all, 50);
    await env.cometchat.until(MESSAGES);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [serverAfter, redisAfter] = await Promise.all([cpuOf(server), redisCpuUs(env.redis)]);
    const after = await commandsProcessed(env.redis);
    const connections = { ...(await stopWatching()), cometchat: env.cometchat.connections };
    return {
      rate: MESSAGES / seconds,
      // Every command Redis processed meanwhile, as pipeline's "e2e cmds/msg": those its scripts ran included, and the
      // bench's own INFO and CLIENT LIST samples (a dozen a second).
      commands: (after - before) / MESSAGES,
      serverUsPerMessage: (cpuUs(serverAfter) - cpuUs(serverBefore)) / MESSAGES,
      redisUsPerMessage: (redisAfter - redisBefore) / MESSAGES,
      connections,
      misrouted: misrouted(env.cometchat, all),
      clientsBefore,
    };
  } finally {
    await stopServer(server);
    await deleteKeys(env.redis, prefix);
  }
}

/** The same end-to-end run, untimed, its commands counted with MONITOR. */
async function countedEndToEnd(env: Env, shape: Shape) {
  const prefix = freshPrefix();
  env.cometchat.reset();
  const server = await startServer({ target: 'service', prefix, role: 'all', cometchatUrl: env.cometchat.url, botsFile: shape.botsFile });
  try {
    const all = messages(shape, MESSAGES);
    const counts = await countCommands(env.redis, prefix, async () => {
      await postAll(server.port, all, 50);
      await env.cometchat.until(MESSAGES);
    });
    return { counts: perMessage(counts, MESSAGES), misrouted: misrouted(env.cometchat, all) };
  } finally {
    await stopServer(server);
    await deleteKeys(env.redis, prefix);
  }
}

/** Depth 1 (pipeline.ts's): one message at a time through an api and a worker process, each posted once the last one's reply arrived. */
async function oneAtATime(env: Env, shape: Shape) {
  const prefix = freshPrefix();
  env.cometchat.reset();
  const options = { target: 'service' as const, prefix, cometchatUrl: env.cometchat.url, botsFile: shape.botsFile };
  const servers = [await startServer({ ...options, role: 'api' }), await startServer({ ...options, role: 'worker' })];
  try {
    const all = messages(shape, DEPTH1);
    const counts = await countCommands(env.redis, prefix, async () => {
      for (let i = 0; i < all.length; i++) {
        await post(servers[0].port, all[i].body, all[i].bot.path, all[i].bot.auth);
        await env.cometchat.until(i + 1);
      }
    });
    return { counts: perMessage(counts, DEPTH1), misrouted: misrouted(env.cometchat, all) };
  } finally {
    await Promise.allSettled(servers.map(stopServer));
    await deleteKeys(env.redis, prefix);
  }
}

export async function runBotsBench(): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const cometchat = await new FakeCometChat().start();
  const env = { redis, cometchat };
  const bots = severalBots(cometchat.url);
  const shapes = [oneBot, bots];
  try {
    console.log(
      `\nbots: ${bots.name} × ${PER_BOT} conversations against ${oneBot.name} × ${CONVERSATIONS}, ${MESSAGES} messages end to end ` +
        `(one APP_ROLE=all process), ${ROUNDS} round(s)`,
    );
    const runs = new Map<Shape, Run[]>(shapes.map((shape) => [shape, []]));
    let wrong = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const shape of round % 2 ? shapes : [...shapes].reverse()) {
        const run = await endToEnd(env, shape);
        runs.get(shape)!.push(run);
        wrong += run.misrouted;
        const c = run.connections;
        console.log(
          `  ${shape.name} #${round}: ${fmt(run.rate)} msgs/s (CPU µs/msg server ${fmt(run.serverUsPerMessage)}, Redis ` +
            `${fmt(run.redisUsPerMessage)}), ${fmt(run.commands, 1)} Redis commands/msg; connections to Redis: the process ${c.process}, ` +
            `connected_clients +${c.clients}; BullMQ workers events ${c.workers.events}, replies ${c.workers.replies}; ` +
            `${c.cometchat} connections to CometChat`,
        );
      }
    }

    const counted = new Map<Shape, { depth1: Counts; e2e: Counts }>();
    if (COUNT) {
      for (const shape of shapes) {
        const depth1 = await oneAtATime(env, shape);
        const e2e = await countedEndToEnd(env, shape);
        wrong += depth1.misrouted + e2e.misrouted;
        counted.set(shape, { depth1: depth1.counts, e2e: e2e.counts });
      }
    }

    const cpu = (r: Run) => r.serverUsPerMessage + r.redisUsPerMessage;
    const one = runs.get(oneBot)!;
    const many = runs.get(bots)!;
    const perRound = (pick: (r: Run) => number) => many.map((r, i) => pick(r) / pick(one[i]));
    const med = (shape: Shape, pick: (r: Run) => number) => median(runs.get(shape)!.map(pick));
    const most = (shape: Shape, pick: (c: Connections) => number) => Math.max(...runs.get(shape)!.map((r) => pick(r.connections)));
    console.log('');
    console.log(
      table([
        [
          'median of rounds',
          'e2e msgs/s',
          'CPU µs/msg server',
          'CPU µs/msg Redis',
          'cmds/msg (INFO)',
          'Redis conns (process)',
          'connected_clients +',
          'workers events/replies',
          'CometChat conns',
        ],
        ...shapes.map((shape) => [
          shape.name,
          fmt(med(shape, (r) => r.rate)),
          fmt(med(shape, (r) => r.serverUsPerMessage)),
          fmt(med(shape, (r) => r.redisUsPerMessage)),
          fmt(
            med(shape, (r) => r.commands),
            1,
          ),
          String(most(shape, (c) => c.process)),
          String(most(shape, (c) => c.clients)),
          `${most(shape, (c) => c.workers.events)}/${most(shape, (c) => c.workers.replies)}`,
          String(most(shape, (c) => c.cometchat)),
        ]),
      ]),
    );
    console.log('  (connections and workers: the most seen in any sample of any round)');
    const others = Math.max(...[...runs.values()].flat().map((r) => r.clientsBefore)) - 1;
    if (others > 0) {
      console.log(
        `  note: up to ${others} other client(s) used this Redis during the runs: its CPU, commands and connected_clients ` +
          'above count their load too (the process figures do not)',
      );
    }

    if (COUNT) {
      console.log('');
      const scripts = [
        ...new Set([...counted.values()].flatMap(({ depth1, e2e }) => [...Object.keys(depth1.scripts), ...Object.keys(e2e.scripts)])),
      ].sort();
      console.log(
        table([
          ['Redis commands per delivered message (MONITOR)', ...shapes.flatMap((shape) => [`${shape.name}: depth 1`, `${shape.name}: e2e`])],
          ['sent', ...shapes.flatMap((shape) => [fmt(counted.get(shape)!.depth1.sent, 1), fmt(counted.get(shape)!.e2e.sent, 1)])],
          ['all (Lua calls included)', ...shapes.flatMap((shape) => [fmt(counted.get(shape)!.depth1.all, 1), fmt(counted.get(shape)!.e2e.all, 1)])],
          ...COMMAND_KINDS.map((kind) => [
            `sent: ${kind}`,
            ...shapes.flatMap((shape) => [fmt(counted.get(shape)!.depth1.byKind[kind], 1), fmt(counted.get(shape)!.e2e.byKind[kind], 1)]),
          ]),
          ...scripts.map((name) => [
            `  of 'order': ${name}`,
            ...shapes.flatMap((shape) => [fmt(counted.get(shape)!.depth1.scripts[name] ?? 0, 2), fmt(counted.get(shape)!.e2e.scripts[name] ?? 0, 2)]),
          ]),
        ]),
      );
      for (const kind of COMMAND_KINDS) console.log(`  ${kind}: ${KIND_MEANING[kind]}`);
    }

    console.log('');
    const rates = perRound((r) => r.rate);
    const cpus = perRound(cpu);
    const commands = perRound((r) => r.commands);
    const spread = Math.max(...one.map(cpu)) / Math.min(...one.map(cpu));
    console.log(
      `end to end ${bots.name}/${oneBot.name}: throughput per round ${rates.map((x) => fmt(x, 3)).join(', ')}; median ${fmt(median(rates), 3)}`,
    );
    console.log(
      `  CPU per message (server + Redis) per round ${cpus.map((x) => fmt(x, 3)).join(', ')}; median ${fmt(median(cpus), 3)} ` +
        `(${oneBot.name}'s own rounds spread ${fmt((spread - 1) * 100, 1)}%)`,
    );
    console.log(`  Redis commands per message (INFO) per round ${commands.map((x) => fmt(x, 3)).join(', ')}; median ${fmt(median(commands), 3)}`);
    if (COUNT) {
      const gate = counted.get(bots)!.e2e.scripts.passSendGate ?? 0;
      console.log(
        `  of which expected with several bots: passSendGate, ${fmt(gate, 2)} a message end to end (one a send: each bot's pause and budget asked)`,
      );
    }
    const cpuRatio = median(cpus);
    const sameConnections = most(bots, (c) => c.process) <= most(oneBot, (c) => c.process);
    const sameWorkers = ['events', 'replies'].every(
      (q) => most(bots, (c) => c.workers[q as 'events']) <= most(oneBot, (c) => c.workers[q as 'events']),
    );
    console.log(
      `goal: CPU per message within ${fmt(TOLERANCE * 100)}% of ${oneBot.name}'s (median ratio ${fmt(cpuRatio, 3)}): ` +
        `${Math.abs(cpuRatio - 1) <= TOLERANCE ? 'PASS' : 'FAIL'}; connections and workers no more than ${oneBot.name}'s: ` +
        `${sameConnections && sameWorkers ? 'PASS' : 'FAIL'}`,
    );
    if (wrong > 0) {
      console.error(`bench: ${wrong} replies came on another bot's send path than their message's, or not exactly once`);
      return 1;
    }
    return 0;
  } finally {
    bots.remove();
    await cometchat.stop();
    redis.disconnect();
  }
}
