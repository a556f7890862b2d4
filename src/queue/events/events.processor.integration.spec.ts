import { LiveReplies } from '../replies/live-replies';
import { MetricsService } from '../../metrics/metrics.service';
import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import type { RespondersConfig } from '../../config/app.config';
import type { CometChatCallback } from '../../messages';
import { textReply } from '../../responders/reply.builders';
import type { ResponderRegistry } from '../../responders/responder.registry';
import { TurnFailedError } from '../../responders/turn-failed.error';
import { ConversationStateStore } from '../../conversation-state/conversation-state.store';
import { servedBots } from '../../config/testing/served-bots';
import { EventsProcessor } from './events.processor';
import { EventTurns, ReplyTurns, RunningTurns } from '../turns';
import type { ReplyJobData } from '../job-contracts';
import { RedisConnections } from '../../redis';
import { WorkerRedis } from '../../redis/worker-redis.service';
import { Handoffs } from '../../handoff';
import { HandoffStore } from '../../handoff/handoff.store';

/** The processor with a stand-in registry, on the Redis at REDIS_URL with real BullMQ queues. */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const callback = (id: string, text = 'hello'): CometChatCallback => ({
  trigger: 'after_message',
  bot: 'support-bot',
  data: {
    id,
    sender: 'cometchat-uid-1',
    receiver: 'support-bot',
    receiverType: 'user',
    category: 'message',
    type: 'text',
    data: { text: `<@uid:support-bot> ${text}`, entities: { sender: { entity: { name: 'Andrew' } } } },
  },
});

describe('EventsProcessor', () => {
  let prefix: string;
  let connections: RedisConnections;
  let redis: WorkerRedis;
  let events: Queue;
  let replies: Queue<ReplyJobData>;
  let respond: jest.Mock;
  let processor: EventsProcessor;
  let handoffs: Handoffs;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));

  beforeEach(() => {
    prefix = `unit-events-${randomBytes(4).toString('hex')}`;
    connections = new RedisConnections({ topology: { kind: 'single', url }, prefix });
    redis = new WorkerRedis(connections);
    events = new Queue('events', { connection: { url }, prefix });
    replies = new Queue('replies', { connection: { url }, prefix });
    respond = jest.fn();
    const config = {
      apologyText: 'Sorry.',
      stateTtlSeconds: 60,
      live: { progressAfterMs: 0, progressText: '…', editIntervalMs: 2000 },
    } as RespondersConfig;
    const queueConfig = { lockMs: 30_000, recoveryCheckMs: 15_000 } as never;
    const bots = servedBots();
    const handoffConfig = { text: 'A person will answer.', timeoutMs: 60_000, notify: { type: 'group' as const, id: 'team' } };
    handoffs = new Handoffs(
      new HandoffStore(redis.client, prefix),
      new ReplyTurns(redis, replies, queueConfig),
      new MetricsService(),
      bots,
      handoffConfig,
    );
    processor = new EventsProcessor(
      { respond, select: () => undefined } as unknown as ResponderRegistry,
      new ConversationStateStore(connections, config),
      new EventTurns(redis, events, queueConfig, bots),
      new ReplyTurns(redis, replies, queueConfig),
      config,
      bots,
      new LiveReplies(redis, replies, new ReplyTurns(redis, replies, queueConfig), new MetricsService(), bots),
      new RunningTurns(connections, redis, new MetricsService()),
      { handle: () => Promise.resolve({ route: true, deletes: false }) } as never, // messages only here: app-events.e2e-spec.ts
      handoffs,
    );
  });

  afterEach(async () => {
    for (const queue of [events, replies]) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    const keys = await redis.client.keys(`${prefix}:*`);
    if (keys.length) await redis.client.del(...keys);
    await connections.onApplicationShutdown();
  });

  const stored = (id: string, text?: string) => events.add('bot-event', callback(id, text), { jobId: `evt-${id}` });

  it('runs the responders on the event built from the stored callback, and queues what they say in order', async () => {
    respond.mockResolvedValue({ responder: 'echo', replies: [textReply('one'), textReply('two')] });
    const job = await stored('1045');

    const outcome = await processor.process(job);

    const [event] = respond.mock.calls[0];
    expect(event).toMatchObject({ id: '1045', text: 'hello', mentionsBot: true, sender: { name: 'Andrew' }, receivedAt: job.timestamp });
    expect(event.raw).toEqual(callback('1045'));
    expect(outcome).toEqual({ responder: 'echo', replies: ['reply-1045-0', 'reply-1045-1'] });
    const [first, second] = await Promise.all([replies.getJob('reply-1045-0'), replies.getJob('reply-1045-1')]);
    expect(first!.data).toMatchObject({ eventId: '1045', index: 0, target: { type: 'user', id: 'cometchat-uid-1' }, muid: 'reply-1045-0' });
    // When the callback was stored, for the reply latency.
    expect(first!.data.receivedAt).toBe(job.timestamp);
    expect(second!.data.turn).toBe(first!.data.turn);
    // The first takes the free reply line at once; the second waits, parked, for its turn.
    expect(await first!.getState()).toBe('waiting');
    expect(await second!.getState()).toBe('delayed');
  });

  it("numbers turns in the order they ran, so a later turn's replies queue behind", async () => {
    respond.mockResolvedValue({ responder: 'echo', replies: [textReply('x')] });
    await processor.process(await stored('500'));
    await processor.process(await stored('100'));
    const [late, early] = await Promise.all([replies.getJob('reply-100-0'), replies.getJob('reply-500-0')]);
    expect(late!.data.turn).toBeGreaterThan(early!.data.turn);
  });

  it('rethrows a failure that will be retried, and says nothing', async () => {
    respond.mockRejectedValue(new Error('the knowledge base is down'));
    const job = await stored('7');
    job.opts.attempts = 3;
    await expect(processor.process(job)).rejects.toThrow('the knowledge base is down');
    expect(await replies.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
  });

  it('apologises once a turn fails for good, then rethrows', async () => {
    respond.mockRejectedValue(new TurnFailedError('no such order'));
    await expect(processor.process(await stored('8'))).rejects.toThrow('no such order');
    const apology = await replies.getJob('reply-8-apology');
    expect(apology!.data.reply.data.text).toBe('Sorry.');
  });

  it('queues nothing twice when the event runs again', async () => {
    respond.mockResolvedValue({ responder: 'echo', replies: [textReply('once')] });
    const job = await stored('9');
    await processor.process(job);
    job.attemptsMade = 1; // as BullMQ counts a run that ended
    await processor.process(job);
    expect((await replies.getJobs(['waiting', 'delayed'])).map((j) => j.id)).toEqual(['reply-9-0']);
  });

  it('runs no responder in a conversation handed to people, but /bot; the turn still ends and hands on', async () => {
    respond.mockResolvedValue({ responder: 'echo', replies: [textReply('said')] });
    const asked = await stored('20', '/human');
    await processor.process(asked);
    await handoffs.handOff(respond.mock.calls[0][0]);
    respond.mockClear();

    expect(await processor.process(await stored('21', 'anyone there?'))).toEqual({ replies: [] });
    expect(respond).not.toHaveBeenCalled();
    // The turn was released: the next message of the conversation runs (here, /bot, which the gate lets through).
    await processor.process(await stored('22', '/bot'));
    expect(respond).toHaveBeenCalledTimes(1);
    // The transcript went to the notified group, with what was said before the handoff.
    const transcript = await replies.getJob('handoff-20');
    expect(transcript!.data.target).toEqual({ type: 'group', id: 'team' });
    expect(transcript!.data.reply.data.text).toContain('Handoff: Andrew (cometchat-uid-1)');
  });
});
