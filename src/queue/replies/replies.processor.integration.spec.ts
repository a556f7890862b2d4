import { LiveReplies } from './live-replies';
import { MetricsService } from '../../metrics/metrics.service';
import { Logger } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { CometChatError } from '../../cometchat/cometchat-error';
import type { ReplyJobData } from '../job-contracts';
import type { QueueConfig } from '../../config/app.config';
import { RepliesProcessor } from './replies.processor';
import { ReplyTurns } from '../turns';
import { SentReplies } from './sent-replies';
import { RedisConnections, ReplicaAck } from '../../redis';
import { WorkerRedis } from '../../redis/worker-redis.service';
import { servedBots } from '../../config/testing/served-bots';
import { BreakerBroadcast } from './breaker-broadcast';
import { BREAKER_THRESHOLD } from './send-breaker';
import { waitFor } from '../../../test/support/wait-for';

/**
 * The processor with a stand-in CometChat client, on the Redis at REDIS_URL with a real BullMQ queue: its line, its
 * send record, and its delivery policy wired to the queue's pause, the shared probe key and the breaker news. The
 * policy's own rules are specified without Redis in replies/delivery-policy.spec.ts.
 */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const reply = (eventId: string, index = 0): ReplyJobData => ({
  eventId,
  index,
  turn: 1,
  target: { type: 'user', id: 'cometchat-uid-1' },
  reply: { category: 'message', type: 'text', data: { text: `reply ${index}` } },
  muid: `reply-${eventId}-${index}`,
});

describe('RepliesProcessor', () => {
  let prefix: string;
  let connections: RedisConnections;
  let redis: WorkerRedis;
  let replies: Queue<ReplyJobData>;
  let sendBotMessage: jest.Mock;
  let findSent: jest.Mock;
  let processor: RepliesProcessor;
  let sent: SentReplies;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));

  /** A processor as one process has it (its own breaker and breaker news), on this test's Redis, queue and sender. */
  const aProcess = () =>
    new RepliesProcessor(
      { sendBotMessage, findSent, editBotMessage: jest.fn(), deleteBotMessage: jest.fn() },
      sent,
      new ReplyTurns(redis, replies, { recoveryCheckMs: 15_000 } as QueueConfig),
      redis,
      replies,
      {
        lockMs: 30_000,
        recoveryCheckMs: 15_000,
        replies: { attempts: 1_000_000, backoffMs: 100, backoffMaxMs: 1000 },
        repliesRetryBudgetMs: 60_000,
      } as never,
      { timeoutMs: 1000 },
      new BreakerBroadcast(connections, redis),
      servedBots(),
      new LiveReplies(redis, replies, new ReplyTurns(redis, replies, { recoveryCheckMs: 15_000 } as QueueConfig), new MetricsService(), servedBots()),
      { live: { progressAfterMs: 1500, progressText: '…', editIntervalMs: 2000 } },
      { record: () => Promise.resolve() } as never, // what an answer answered: app-events.e2e-spec.ts
    );

  beforeEach(() => {
    prefix = `unit-replies-${randomBytes(4).toString('hex')}`;
    connections = new RedisConnections({ topology: { kind: 'single', url }, prefix });
    redis = new WorkerRedis(connections);
    replies = new Queue('replies', { connection: { url }, prefix });
    sendBotMessage = jest.fn();
    findSent = jest.fn().mockResolvedValue(undefined);
    sent = new SentReplies(redis, new ReplicaAck({ waitReplicas: 0 }));
    processor = aProcess();
  });

  afterEach(async () => {
    await replies.obliterate({ force: true }).catch(() => undefined);
    await replies.close();
    const keys = await redis.client.keys(`${prefix}:*`);
    if (keys.length) await redis.client.del(...keys);
    await redis.client.quit();
    await connections.onApplicationShutdown();
  });

  const queued = (data: ReplyJobData) => replies.add('bot-reply', data, { jobId: data.muid });

  it("sends the reply with its muid, and records CometChat's confirmation until the job completes", async () => {
    sendBotMessage.mockResolvedValue({ id: '9001' });
    const job = await queued(reply('1045'));

    expect(await processor.process(job)).toEqual({ messageId: '9001', alreadySent: false });
    expect(sendBotMessage).toHaveBeenCalledWith(expect.objectContaining({ muid: 'reply-1045-0', target: { type: 'user', id: 'cometchat-uid-1' } }));
    expect(await sent.sentAs('reply-1045-0')).toBe('9001');
    await processor.completed(job);
    expect(await sent.sentAs('reply-1045-0')).toBeNull();
  });

  it('never sends a reply again once CometChat confirmed it, on any later run of its job', async () => {
    await sent.record('reply-1046-0', '9002');
    const job = await queued(reply('1046'));
    job.attemptsStarted = 2; // as BullMQ counts a run after a stall or a lost completion
    expect(await processor.process(job)).toEqual({ messageId: '9002', alreadySent: true });
    expect(sendBotMessage).not.toHaveBeenCalled();
  });

  it('looks for an earlier send only when one may have been stored unconfirmed, and never posts a found one again', async () => {
    sendBotMessage.mockResolvedValue({ id: '9200' });
    await processor.process(await queued(reply('1070')));
    expect(findSent).not.toHaveBeenCalled(); // a first run asks nothing

    // Its process died mid-send (BullMQ counted a stall), and CometChat had stored it.
    findSent.mockResolvedValueOnce('9201');
    const stalled = await queued(reply('1071'));
    stalled.attemptsStarted = 2;
    stalled.stalledCounter = 1;
    expect(await processor.process(stalled)).toEqual({ messageId: '9201', alreadySent: true });
    expect(findSent).toHaveBeenCalledWith(expect.objectContaining({ muid: 'reply-1071-0' }), stalled.timestamp);
    expect(sendBotMessage).toHaveBeenCalledTimes(1);
    expect(await sent.sentAs('reply-1071-0')).toBe('9201');

    // Not found: sent.
    const notFound = await queued(reply('1072'));
    notFound.attemptsStarted = 2;
    notFound.stalledCounter = 1;
    expect(await processor.process(notFound)).toEqual({ messageId: '9200', alreadySent: false });
    expect(sendBotMessage).toHaveBeenCalledTimes(2);
  });

  it('remembers a send that got no answer (a timeout), and looks for it on the next run, not after a clean 5xx', async () => {
    const job = await queued(reply('1073'));
    sendBotMessage.mockRejectedValueOnce(
      new CometChatError('transient', 'CometChat unreachable: ECONNABORTED', undefined, undefined, undefined, true),
    );
    await processor.process(job).catch(() => undefined);
    expect(job.data).toMatchObject({ outcomeUnknown: true });
    sendBotMessage.mockRejectedValueOnce(new CometChatError('transient', 'CometChat answered 503', 503));
    job.attemptsStarted = 2;
    await processor.process(job).catch(() => undefined);
    expect(findSent).toHaveBeenCalledTimes(1);
    expect(job.data).toMatchObject({ outcomeUnknown: false });
    sendBotMessage.mockResolvedValueOnce({ id: '9300' });
    job.attemptsStarted = 3;
    expect(await processor.process(job)).toEqual({ messageId: '9300', alreadySent: false });
    expect(findSent).toHaveBeenCalledTimes(1);
  });

  it('sends again without looking when CometChat refuses the look (4xx), and retries a look that failed (5xx)', async () => {
    const job = await queued(reply('1074'));
    job.attemptsStarted = 2;
    job.stalledCounter = 1;
    findSent.mockRejectedValueOnce(new CometChatError('transient', 'CometChat answered 502', 502));
    await expect(processor.process(job)).rejects.toMatchObject({ status: 502 });
    expect(sendBotMessage).not.toHaveBeenCalled();
    expect(job.data).toMatchObject({ outcomeUnknown: true }); // the look failed: the next run looks again
    findSent.mockRejectedValueOnce(new CometChatError('permanent', 'CometChat answered 403', 403));
    sendBotMessage.mockResolvedValueOnce({ id: '9400' });
    job.attemptsStarted = 3;
    expect(await processor.process(job)).toEqual({ messageId: '9400', alreadySent: false });
  });

  it('fails a reply CometChat refuses for good (4xx) without retries', async () => {
    sendBotMessage.mockRejectedValue(new CometChatError('permanent', 'CometChat answered 404: no such user', 404));
    await expect(processor.process(await queued(reply('1047')))).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('rethrows a transient failure (5xx, timeout) for a retry with backoff', async () => {
    sendBotMessage.mockRejectedValue(new CometChatError('transient', 'CometChat answered 503', 503));
    const error = await processor.process(await queued(reply('1048'))).catch((e: Error) => e);
    expect(error).toBeInstanceOf(CometChatError);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
  });

  it('probes an open breaker only while no other process holds the probe, and gives the probe back after', async () => {
    sendBotMessage.mockRejectedValue(new CometChatError('transient', 'CometChat answered 503', 503));
    // Failures in a row, each in a conversation of its own (a failed reply keeps its conversation's turn).
    for (let n = 0; n < BREAKER_THRESHOLD; n++) {
      const failing = { ...reply(`105${n}`), target: { type: 'user' as const, id: `cometchat-uid-f${n}` } };
      await processor.process(await queued(failing)).catch(() => undefined);
    }
    await waitFor('the breaker window to pass', async () => (await replies.getRateLimitTtl()) <= 0);
    const probeKey = `${prefix}:replies:probe`;
    await redis.client.set(probeKey, 'another-process', 'PX', 10_000);
    sendBotMessage.mockClear().mockResolvedValue({ id: '7' });

    const job = await queued(reply('1061'));
    const heldBack = await processor.process(job).catch((e: Error) => e);
    expect(heldBack).toMatchObject({ message: Worker.RateLimitError().message });
    expect(sendBotMessage).not.toHaveBeenCalled();

    await redis.client.del(probeKey);
    await waitFor('the hold-back pause to pass', async () => (await replies.getRateLimitTtl()) <= 0);
    // Taken up again after the pause (with its turn), it probes now.
    expect(await processor.process(job)).toEqual({ messageId: '7', alreadySent: false });
    expect(await redis.client.exists(probeKey)).toBe(0);
  });

  it("pauses another process's sends on a 429 met here: its fresh reply waits, then goes as the window's one probe", async () => {
    const elsewhere = aProcess();
    await Promise.all([processor.onApplicationBootstrap(), elsewhere.onApplicationBootstrap()]);
    sendBotMessage.mockRejectedValueOnce(new CometChatError('rate-limited', 'CometChat answered 429', 429, undefined, 1000));
    const limited = await processor.process(await queued(reply('1090'))).catch((e: Error) => e);
    expect(limited).toMatchObject({ message: Worker.RateLimitError().message });

    // Another process, whose own sends never met the 429, takes a fresh reply of another conversation.
    const fresh = await queued({ ...reply('1091'), target: { type: 'user', id: 'cometchat-uid-other' } });
    await waitFor('the news to reach the other process', async () => {
      const outcome = await elsewhere.process(fresh).catch((e: Error) => e);
      return outcome instanceof Error && outcome.message === Worker.RateLimitError().message;
    });
    expect(sendBotMessage).toHaveBeenCalledTimes(1);

    await waitFor('the 429 window to pass', async () => (await replies.getRateLimitTtl()) <= 0);
    sendBotMessage.mockResolvedValue({ id: '9500' });
    expect(await elsewhere.process(fresh)).toEqual({ messageId: '9500', alreadySent: false });
    // Its probe went through: the news closes this process's breaker too, so a send here needs no probe (the probe
    // is held elsewhere the while).
    const probeKey = `${prefix}:replies:probe`;
    await redis.client.set(probeKey, 'another-process', 'PX', 10_000);
    await waitFor('this process to hear it', async () => {
      const job = await queued({ ...reply(`1092-${Date.now()}`), target: { type: 'user', id: 'cometchat-uid-third' } });
      return (await processor.process(job).catch(() => undefined)) !== undefined;
    });
    expect(await redis.client.get(probeKey)).toBe('another-process');
  });

  it('hands the conversation on after a send: the next reply of the conversation may go', async () => {
    sendBotMessage.mockResolvedValue({ id: '1' });
    await processor.process(await queued(reply('1049', 0)));
    await processor.process(await queued(reply('1049', 1)));
    expect(sendBotMessage).toHaveBeenCalledTimes(2);
  });
});
