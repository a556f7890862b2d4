import { Scrape } from './prometheus-text';
import { ModuleMetadata } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Job, Queue } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createApp } from '../../src/app.setup';
import { redisTopology, RedisTopology } from '../../src/config/app.config';
import { validateEnv } from '../../src/config/env.validation';
import { connectRedis, RedisClient } from '../../src/redis';
import { basicAuthHeader } from '../../src/common/basic-auth';
import { waitFor } from './wait-for';

export const BOT_UID = 'support-bot';
export const WEBHOOK_USERNAME = 'cometchat';
export const WEBHOOK_PASSWORD = 'e2e-secret-password';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const basicAuth = (user = WEBHOOK_USERNAME, password = WEBHOOK_PASSWORD) => basicAuthHeader(user, password);

/** A unique QUEUE_PREFIX so that test files (and runs) never share keys. */
export const uniquePrefix = (name: string) => `e2e-${name}-${randomBytes(4).toString('hex')}`;

export function testEnv(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    BOT_UID,
    WEBHOOK_USERNAME,
    WEBHOOK_PASSWORD,
    COMETCHAT_APP_ID: 'e2e-app',
    COMETCHAT_REGION: 'us',
    COMETCHAT_API_KEY: 'e2e-api-key',
    COMETCHAT_API_URL: 'http://127.0.0.1:9/v3',
    REDIS_URL,
    QUEUE_PREFIX: uniquePrefix(name),
    LOG_LEVEL: 'error',
    ...overrides,
  };
}

export interface PostOptions {
  authorization?: string | null;
  contentType?: string;
  /** Send this exact payload instead of JSON-encoding the body. */
  raw?: string;
}

/** The real service, booted in-process on Fastify, plus read access to its queues for assertions. */
export class TestApp {
  private inspectors = new Map<string, Queue>();
  private client?: RedisClient;
  private readonly connections: RedisClient[] = [];

  private constructor(
    readonly app: NestFastifyApplication,
    readonly env: Record<string, string>,
    /** The app's Redis, whatever its topology (a private Sentinel or Cluster in some tests). */
    readonly topology: RedisTopology,
  ) {}

  static async start(name: string, overrides: Record<string, string> = {}, imports: ModuleMetadata['imports'] = []): Promise<TestApp> {
    const env = testEnv(name, overrides);
    // Validated once, as main.ts does; the process environment is never touched, so apps cannot leak settings.
    const validated = validateEnv(env);
    return new TestApp(await createApp(validated, imports), env, redisTopology(validated));
  }

  get prefix(): string {
    return this.env.QUEUE_PREFIX;
  }

  post(body: unknown, { authorization = basicAuth(), contentType = 'application/json', raw }: PostOptions = {}) {
    return this.app.inject({
      method: 'POST',
      url: '/webhooks/cometchat',
      headers: { ...(authorization ? { authorization } : {}), 'content-type': contentType },
      payload: raw ?? JSON.stringify(body),
    });
  }

  /** An app webhook's event (POST /webhooks/cometchat/events), with the callback's credentials unless told otherwise. */
  postEvent(body: unknown, { authorization = basicAuth() }: Pick<PostOptions, 'authorization'> = {}) {
    return this.app.inject({
      method: 'POST',
      url: '/webhooks/cometchat/events',
      headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  }

  /** The service's /metrics, read. */
  async scrape(): Promise<Scrape> {
    return new Scrape((await this.app.inject({ method: 'GET', url: '/metrics' })).body);
  }

  /** A separate BullMQ handle on one of the app's queues, for looking at jobs. */
  queue(name: 'events' | 'replies'): Queue {
    let queue = this.inspectors.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connect(), prefix: this.prefix });
      queue.on('error', () => undefined); // outages are the point of some tests
      this.inspectors.set(name, queue);
    }
    return queue;
  }

  /** A plain Redis client on the app's Redis, closed with the app. */
  redis(): RedisClient {
    return (this.client ??= this.connect());
  }

  private connect(): RedisClient {
    const client = connectRedis(this.topology, { role: 'commands' });
    client.on('error', () => undefined);
    this.connections.push(client);
    return client;
  }

  async jobs(name: 'events' | 'replies'): Promise<Job[]> {
    return this.queue(name).getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']);
  }

  /** Waits until neither queue has a job left to run: every message taken so far has been handled. */
  async drained(timeoutMs = 15_000): Promise<void> {
    const pending = async (name: 'events' | 'replies') => {
      const counts = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((sum, n) => sum + n, 0);
    };
    await waitFor('both queues drained', async () => (await pending('events')) + (await pending('replies')) === 0, { timeoutMs });
  }

  async close({ keepKeys = false } = {}): Promise<void> {
    await this.app.close();
    await Promise.all([...this.inspectors.values()].map((q) => q.close()));
    this.connections.forEach((client) => client.disconnect());
    if (!keepKeys) await deleteKeys(this.prefix);
  }
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
