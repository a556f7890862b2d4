import { LiveReplies } from '../replies/live-replies';
import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../../test/support/wait-for';
import { appConfig, queueConfig, RespondersConfig, tracingConfig } from '../../config/app.config';
import { validateEnv } from '../../config/env.validation';
import type { CometChatCallback } from '../../messages';
import { MetricsService } from '../../metrics/metrics.service';
import { RedisConnections } from '../../redis';
import type { ResponderRegistry } from '../../responders/responder.registry';
import { TurnFailedError } from '../../responders/turn-failed.error';
import { ConnectionErrorLogger } from '../../redis/connection-error.logger';
import { ConversationStateStore } from '../../conversation-state/conversation-state.store';
import { servedBots } from '../../config/testing/served-bots';
import type { Handoffs } from '../../handoff';
import { EventsProcessor } from '../events/events.processor';
import { EventTurns, ReplyTurns, RunningTurns } from '../turns';
import { QueueWorkers } from './queue-workers.service';
import type { RepliesProcessor } from '../replies/replies.processor';
import { WorkerRedis } from '../../redis/worker-redis.service';

/** The workers' log lines for turns: the real workers and EventsProcessor on the Redis at REDIS_URL, a stand-in registry. */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const env = validateEnv({
  BOT_UID: 'support-bot',
  WEBHOOK_USERNAME: 'cometchat',
  WEBHOOK_PASSWORD: 's3cret',
  COMETCHAT_APP_ID: 'app',
  COMETCHAT_REGION: 'us',
  COMETCHAT_API_KEY: 'key',
  REDIS_URL: url,
});

const callback = (id: string): CometChatCallback => ({
  trigger: 'after_message',
  data: { id, sender: 'cometchat-uid-1', receiver: 'support-bot', receiverType: 'user', category: 'message', type: 'text', data: { text: 'hi' } },
});

describe('QueueWorkers logs', () => {
  let prefix: string;
  let connections: RedisConnections;
  let events: Queue;
  let replies: Queue;
  let workers: QueueWorkers;
  let respond: jest.Mock;
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;
  let log: jest.SpyInstance;
  const turnLines = (spy: jest.SpyInstance) => spy.mock.calls.map(([line]) => line).filter((line) => line?.msg === 'turn');

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    prefix = `unit-workers-${randomBytes(4).toString('hex')}`;
    connections = new RedisConnections({ topology: { kind: 'single', url }, prefix });
    const redis = new WorkerRedis(connections);
    events = new Queue('events', { connection: { url }, prefix });
    replies = new Queue('replies', { connection: { url }, prefix });
    respond = jest.fn();
    const responders = { stateTtlSeconds: 60, live: { progressAfterMs: 0, progressText: '…', editIntervalMs: 2000 } } as RespondersConfig;
    const queue = queueConfig(env);
    const bots = servedBots();
    const processor = new EventsProcessor(
      { respond, select: () => undefined } as unknown as ResponderRegistry,
      new ConversationStateStore(connections, responders),
      new EventTurns(redis, events, queue, bots),
      new ReplyTurns(redis, replies, queue),
      responders,
      bots,
      new LiveReplies(redis, replies, new ReplyTurns(redis, replies, queue), new MetricsService(), bots),
      new RunningTurns(connections, redis, new MetricsService()),
      { handle: () => Promise.resolve({ route: true, deletes: false }) } as never, // messages only here: app-events.e2e-spec.ts
      { holds: async () => false, answered: async () => undefined } as unknown as Handoffs,
    );
    // No reply is queued in these tests: the replies worker idles.
    const noReplies = { process: async () => undefined, failedForGood: async () => undefined, logLine: () => ({ msg: 'send' }) };
    workers = new QueueWorkers(
      processor,
      noReplies as unknown as RepliesProcessor,
      connections,
      queue,
      appConfig(env),
      tracingConfig(env),
      new ConnectionErrorLogger(connections),
      new MetricsService(),
      redis,
      bots,
    );
    workers.onApplicationBootstrap();
  });

  afterEach(async () => {
    await workers.beforeApplicationShutdown();
    for (const queue of [events, replies]) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    const cleaner = connections.connect({ role: 'commands' });
    const keys = await cleaner.keys(`${prefix}:*`);
    if (keys.length) await cleaner.del(...keys);
    await connections.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  it('logs a retried turn once, with its reason, then the turn that succeeded', async () => {
    respond.mockRejectedValueOnce(new Error('the knowledge base is down')).mockResolvedValue({ responder: 'faq', replies: [] });
    await events.add('bot-event', callback('7001'), { jobId: 'evt-7001', attempts: 3, backoff: { type: 'fixed', delay: 10 } });

    await waitFor('the turn that succeeded', () => turnLines(log).length === 1);
    expect(turnLines(warn)).toEqual([
      expect.objectContaining({
        messageId: '7001',
        conversation: 'user-cometchat-uid-1',
        queue: 'events',
        attempt: 1,
        outcome: 'retrying',
        reason: 'the knowledge base is down',
      }),
    ]);
    expect(turnLines(log)).toEqual([
      expect.objectContaining({ messageId: '7001', responder: 'faq', replies: 0, attempt: 2, outcome: 'silent', durationMs: expect.any(Number) }),
    ]);
    expect(turnLines(error)).toEqual([]);
  });

  it('logs a turn that failed for good once, as an error, and not as a retry', async () => {
    respond.mockRejectedValue(new TurnFailedError('no such order'));
    await events.add('bot-event', callback('7002'), { jobId: 'evt-7002', attempts: 3 });

    await waitFor('the failure', () => turnLines(error).length > 0);
    expect(turnLines(error)).toEqual([expect.objectContaining({ messageId: '7002', attempt: 1, outcome: 'failed', reason: 'no such order' })]);
    expect(turnLines(warn)).toEqual([]);
    expect(turnLines(log)).toEqual([]);
  });
});
