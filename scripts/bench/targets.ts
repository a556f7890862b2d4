/**
 * The servers the bench compares, each started in a child process of its own (serve.ts):
 * - `service`: this service, built with createApp() exactly as main.ts builds it;
 * - `baseline`: a bare Fastify + BullMQ service with the same public contract (Basic Auth, the same field checks,
 *   the callback stored with the same deduplication, an echo through a replies queue to CometChat), on the
 *   libraries' current versions, and with nothing of ours: no conversation order, no record of sent replies;
 * - `chained`: the baseline with its jobs run one after another per conversation by BullMQ's own means (JobChain),
 *   still with nothing of ours: what order alone costs on BullMQ's open-source API (backlog drain and end to end).
 */
import { FlowProducer, Job, JobsOptions, Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type Target = 'baseline' | 'service';
/** Every server the bench can start; `chained` takes part in the pipeline's timed runs only. */
export type AnyTarget = Target | 'chained';
export type Role = 'api' | 'worker' | 'all';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const USERNAME = 'cometchat';
export const PASSWORD = 'bench-secret-password';
export const BOT_UID = 'support-bot';
export const WEBHOOK_PATH = '/webhooks/cometchat';

export interface Started {
  port: number;
  close: () => Promise<unknown>;
}

export interface TargetOptions {
  prefix: string;
  role: Role;
  /** The fake CometChat's base URL (…/v3), for the workers' sends. */
  cometchatUrl: string;
  /** When the bare handler also takes the service's place in line (an ingest variant; see bench-ingest). */
  baselineClaims?: boolean;
  /** The service only: its bots from this BOTS_FILE instead of the single-bot variables (scripts/bench/bots.ts). */
  botsFile?: string;
}

export function startTarget(target: AnyTarget, options: TargetOptions): Promise<Started> {
  return target === 'service' ? startService(options) : startBaseline({ ...options, chained: target === 'chained' });
}

async function startService({ prefix, role, cometchatUrl, botsFile }: TargetOptions): Promise<Started> {
  // With a BOTS_FILE, each bot's uid, webhook credentials, app and CometChat URL are the file's.
  const bot: Record<string, string> = botsFile
    ? { BOTS_FILE: botsFile }
    : {
        BOT_UID,
        WEBHOOK_USERNAME: USERNAME,
        WEBHOOK_PASSWORD: PASSWORD,
        COMETCHAT_APP_ID: 'bench',
        COMETCHAT_REGION: 'us',
        COMETCHAT_API_KEY: 'bench',
        COMETCHAT_API_URL: cometchatUrl,
      };
  const env: Record<string, string> = {
    APP_ROLE: role,
    ...bot,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    // Logging as shipped (info, JSON lines): a request line, a turn line and a send line a message are its cost too.
  };
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded here only: the baseline's process loads nothing of ours */
  require('reflect-metadata');
  const { createApp } = require('../../src/app.setup') as typeof import('../../src/app.setup');
  const { validateEnv } = require('../../src/config/env.validation') as typeof import('../../src/config/env.validation');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const app = await createApp(validateEnv(env));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  return { port: typeof address === 'object' && address ? address.port : Number.NaN, close: () => app.close() };
}

const REALM = 'Basic realm="cometchat-bot", charset="UTF-8"';
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || v === null || check(v);

/** The checks the service's DTO makes, by hand; the names of the fields that fail them. */
function invalidFields(body: Record<string, any>): string[] {
  const bad: string[] = [];
  if (!isNonEmptyString(body.trigger)) bad.push('trigger');
  if (!optional(body.bot, (v) => typeof v === 'string')) bad.push('bot');
  if (!optional(body.appId, (v) => typeof v === 'string')) bad.push('appId');
  const m = body.data;
  if (!isObject(m)) return [...bad, 'data'];
  if (typeof m.id !== 'string' || m.id.length > 100 || !/^[A-Za-z0-9_.-]+$/.test(m.id)) bad.push('data.id');
  for (const field of ['sender', 'receiver', 'category', 'type']) if (!isNonEmptyString(m[field])) bad.push(`data.${field}`);
  if (m.receiverType !== 'user' && m.receiverType !== 'group') bad.push('data.receiverType');
  if (!optional(m.parentId, (v) => typeof v === 'string')) bad.push('data.parentId');
  if (!optional(m.sentAt, (v) => typeof v === 'number' && Number.isFinite(v))) bad.push('data.sentAt');
  if (m.data !== undefined && m.data !== null) {
    const c = m.data;
    if (!isObject(c)) bad.push('data.data');
    else {
      if (!optional(c.text, (v) => typeof v === 'string')) bad.push('data.data.text');
      if (!optional(c.attachments, Array.isArray)) bad.push('data.data.attachments');
      for (const field of ['metadata', 'customData', 'mentions']) if (!optional(c[field], isObject)) bad.push(`data.data.${field}`);
    }
  }
  return bad;
}

// A unique job id per delivery, so that add() tells a duplicate apart; a counter costs nothing per request.
const PROCESS_TAG = randomBytes(4).toString('hex');
let deliveries = 0;
const DAY_MS = 24 * 3600 * 1000;
const retention = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };
const jobDefaults = { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, ...retention };

/** The bare service: one Fastify route adding the callback to a BullMQ queue; workers echo it to CometChat. */
async function startBaseline({
  prefix,
  role,
  cometchatUrl,
  baselineClaims,
  chained = false,
}: TargetOptions & { chained?: boolean }): Promise<Started> {
  const closers: Array<() => Promise<unknown>> = [];
  let port = 0;
  if (role !== 'worker') {
    const { default: Fastify } = await import('fastify');
    const events = new Queue('events', {
      prefix,
      // As the service's producer: fail fast when Redis is away, so the webhook can answer 503.
      connection: { url: REDIS_URL, enableOfflineQueue: false, commandTimeout: 1500, maxRetriesPerRequest: 1 },
      defaultJobOptions: jobDefaults,
    });
    events.on('error', () => undefined);
    await events.waitUntilReady();
    const claim = baselineClaims ? await placeInLine(events, prefix) : undefined;
    const chain = chained ? await JobChain.on(events, prefix) : undefined;
    const expected = sha256(`${USERNAME}:${PASSWORD}`);
    const app = Fastify({ bodyLimit: 1024 * 1024 });
    app.removeContentTypeParser('text/plain');
    app.post(WEBHOOK_PATH, async (request, reply) => {
      const header = request.headers.authorization;
      const match = header ? /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
      const presented = match ? Buffer.from(match[1], 'base64').toString('utf8') : undefined;
      if (presented === undefined || !timingSafeEqual(sha256(presented), expected)) {
        reply.code(401).header('www-authenticate', REALM);
        return { statusCode: 401, error: 'Unauthorized', message: 'Missing or invalid Basic Auth credentials' };
      }
      const body = request.body;
      if (!isObject(body)) {
        reply.code(400);
        return { statusCode: 400, error: 'Bad Request', message: 'Request body must be a JSON object' };
      }
      const bad = invalidFields(body);
      if (bad.length > 0) {
        reply.code(400);
        return { statusCode: 400, error: 'Bad Request', message: `Invalid callback: ${bad.join(', ')}` };
      }
      const message = body.data;
      const id: string = message.id;
      const sender = message.sender.toLowerCase();
      if (sender === BOT_UID || (typeof body.bot === 'string' && sender === body.bot.toLowerCase())) {
        return { status: 'ignored', id, reason: 'own-message' };
      }
      if (body.trigger !== 'after_message') return { status: 'ignored', id, reason: 'unsupported-trigger' };
      if (message.category === 'action' || message.category === 'call') return { status: 'ignored', id, reason: 'unsupported-category' };
      const jobId = `evt-${id}-${PROCESS_TAG}${(++deliveries).toString(36)}`;
      try {
        claim?.(body);
        const opts = { jobId, deduplication: { id, ttl: DAY_MS } };
        const job = chain
          ? await chain.add(events, 'bot-event', body, opts, message.receiverType === 'group' ? message.receiver : sender)
          : await events.add('bot-event', body, opts);
        return { status: job.id === jobId ? 'accepted' : 'duplicate', id };
      } catch {
        reply.code(503).header('retry-after', '5');
        return { statusCode: 503, error: 'Service Unavailable', message: 'Message not stored; retry later' };
      }
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : Number.NaN;
    closers.push(
      () => app.close(),
      () => events.close(),
      async () => chain?.close(),
    );
  }
  if (role !== 'api') closers.push(...(await startBareWorkers(prefix, cometchatUrl, chained)));
  return { port, close: () => Promise.all(closers.map((close) => close())) };
}

/** The service's place-in-line command, for the ingest variant that charges the baseline with it too. */
async function placeInLine(events: Queue, prefix: string) {
  const { conversationOf } = await import('../../src/messages');
  const { redisClientOf } = await import('../../src/redis/redis-client');
  const { LineCommands } = await import('../../src/queue/turns/line-commands');
  const commands = new LineCommands(await redisClientOf(events), prefix, 'events');
  return (body: any) => {
    const message = { conversation: conversationOf(body), messageId: body.data.id, jobId: `evt-${body.data.id}` };
    commands.claimMessages([message]).catch(() => undefined);
  };
}

/** An events worker that echoes each text through a replies queue, and a replies worker that posts it. */
async function startBareWorkers(prefix: string, cometchatUrl: string, chained: boolean): Promise<Array<() => Promise<unknown>>> {
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
  const replies = new Queue('replies', { prefix, connection, defaultJobOptions: { ...jobDefaults, attempts: 8 } });
  const chain = chained ? await JobChain.on(replies, prefix) : undefined;
  const mention = new RegExp(`[ \\t]*<@uid:${BOT_UID}>[ \\t]*`, 'gi');
  const echo = new Worker(
    'events',
    async (job: Job) => {
      const message = job.data.data;
      const text = message?.data?.text;
      if (typeof text !== 'string') return;
      const group = message.receiverType === 'group';
      const receiver = group ? message.receiver : message.sender;
      const reply = { receiver, receiverType: group ? 'group' : 'user', text: text.replace(mention, ' ').trim() };
      const opts = { jobId: `reply-${message.id}-0` };
      await (chain ? chain.add(replies, 'bot-reply', reply, opts, receiver) : replies.add('bot-reply', reply, opts));
    },
    { prefix, connection, concurrency: 10 },
  );
  const send = new Worker(
    'replies',
    async (job: Job) => {
      const { receiver, receiverType, text } = job.data;
      if (!receiver) return undefined;
      const response = await fetch(`${cometchatUrl}/bots/${BOT_UID}/messages`, {
        method: 'POST',
        headers: { apikey: 'bench', 'content-type': 'application/json' },
        body: JSON.stringify({ receiver, receiverType, category: 'message', type: 'text', data: { text }, muid: job.id }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`CometChat answered ${response.status}`);
      return ((await response.json()) as { data?: { id?: string } }).data?.id;
    },
    { prefix, connection, concurrency: 10 },
  );
  await Promise.all([echo.waitUntilReady(), send.waitUntilReady()]);
  return [() => echo.close(), () => send.close(), async () => chain?.close(), () => replies.close()];
}

/**
 * A conversation's jobs run one after another by BullMQ's own means: each job is added as the parent of the
 * conversation's previous one (a flow whose only child is that existing job), so that BullMQ's completion of the
 * previous one moves it out of waiting-children in the same script (and may fetch it in the same call). The
 * previous job is read and the new one recorded by one SET … GET per add; a job that fails for good lets the next
 * one run (ignoreDependencyOnFailure), as the service's turns do. A bench device, cheaper than any design the
 * service could build on flows: it orders by arrival, not by message id (a job has one parent, so a late message
 * cannot be put back in its place), and a chained job has no deduplication, which BullMQ refuses on a flow node
 * with children ("Deduplication options cannot be used on flow nodes with children").
 */
class JobChain {
  private constructor(
    private readonly flows: FlowProducer,
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  static async on(queue: Queue, prefix: string): Promise<JobChain> {
    const redis = (await queue.getBackend().connection.client) as unknown as Redis;
    return new JobChain(new FlowProducer({ prefix, connection: { url: REDIS_URL } }), redis, prefix);
  }

  async add(queue: Queue, name: string, data: object, opts: JobsOptions & { jobId: string }, conversation: string): Promise<Job> {
    const tail = `${this.prefix}:${queue.name}:chain-tail:${conversation}`;
    const previous = await this.redis.set(tail, opts.jobId, 'PX', DAY_MS, 'GET');
    const own = { ...queue.defaultJobOptions, ...opts, ignoreDependencyOnFailure: true };
    if (!previous) return queue.add(name, data, own);
    delete own.deduplication;
    // Made anew (empty, so its worker skips it) only if the previous job is gone already.
    const children = [{ name, queueName: queue.name, data: {}, opts: { jobId: previous, ignoreDependencyOnFailure: true } }];
    return (await this.flows.add({ name, queueName: queue.name, data, opts: own, children })).job;
  }

  close(): Promise<void> {
    return this.flows.close();
  }
}
