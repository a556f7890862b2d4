import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { cometchatConfig, CometChatConfig, queueConfig, QueueConfig } from '../config/app.config';
import { classify, CometChatError, RateLimitQuota } from '../cometchat/cometchat-error';
import { REPLY_SENDER, ReplySender, SentMessage } from '../cometchat/reply-sender';
import { conversationKey } from '../messages';
import { BreakerBroadcast } from './replies/breaker-broadcast';
import { MAX_RATE_LIMITED, ReplyJobData } from './job-contracts';
import { ProbeLock } from './replies/probe-lock';
import { QUEUES, REPLIES_QUEUE } from './queue-definitions';
import type { QueueProcessor } from './queue-processor';
import { BREAKER_THRESHOLD, SendBreaker } from './replies/send-breaker';
import { SentReplies } from './sent-replies';
import { orderedMember, TurnSequencer } from './sequencing/turn-sequencer';
import { WorkerRedis } from './worker-redis.service';

/** CometChat refused the reply for good (a 4xx other than 429): its status stays with the failure, for the log. */
export class SendRefusedError extends UnrecoverableError {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SendRefusedError';
  }
}

export interface ReplyOutcome {
  messageId: string;
  /** True when CometChat had already confirmed this reply on an earlier run of the job. */
  alreadySent: boolean;
}

/**
 * Sends one reply through CometChat (or the sandbox: whatever REPLY_SENDER is), in its conversation's order, turning each kind of failure into the right
 * retry.
 */
@Injectable()
export class RepliesProcessor implements QueueProcessor<ReplyJobData, ReplyOutcome>, OnApplicationBootstrap {
  private readonly logger = new Logger(RepliesProcessor.name);
  private readonly turns: TurnSequencer;
  private readonly breaker: SendBreaker;
  private readonly probeLock: ProbeLock;
  private readonly budgetMs: number;
  /** The replies queue's cap on sends a minute (BullMQ's limiter; a number that never binds when uncapped). */
  private readonly sendsPerMinute: number;

  constructor(
    @Inject(REPLY_SENDER) private readonly sender: ReplySender,
    private readonly sent: SentReplies,
    redis: WorkerRedis,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue<ReplyJobData>,
    @Inject(queueConfig.KEY) queue: QueueConfig,
    @Inject(cometchatConfig.KEY) cometchat: Pick<CometChatConfig, 'timeoutMs'>,
    private readonly broadcast: BreakerBroadcast,
  ) {
    this.turns = new TurnSequencer({
      prefix: redis.prefix,
      queue: replies,
      redis: redis.client,
      parkMs: queue.recoveryCheckMs,
      jobIdOf: async (jobId) => jobId,
    });
    this.breaker = new SendBreaker(queue.replies.backoffMs, queue.replies.backoffMaxMs);
    // Held for a send's longest possible call, and a margin for its hand-back.
    this.probeLock = new ProbeLock(redis.client, `${redis.prefix}:${REPLIES_QUEUE}:probe`, cometchat.timeoutMs + 5000);
    this.budgetMs = queue.repliesRetryBudgetMs;
    this.sendsPerMinute = QUEUES.replies.limiter(queue).max;
  }

  /** This process's breaker hears the others': one process meeting a 429 or an outage pauses every process's sends. */
  async onApplicationBootstrap(): Promise<void> {
    await this.broadcast
      .listen((news) => {
        if ('closed' in news) this.breaker.answered();
        else this.breaker.openedElsewhere(news.open.forMs, news.open.windows, news.open.failing);
      })
      .catch((error: Error) => this.logger.warn(`not hearing the other processes' send breakers: ${error.message}`));
  }

  async process(job: Job<ReplyJobData>, token?: string): Promise<ReplyOutcome> {
    const { target, turn, index } = job.data;
    // A reply queued with its turn in hand skips asking on its first run; any later run (a retry, a stall) asks.
    // Jobs queued before turns were numbered sort first.
    if (!job.data.granted || job.attemptsStarted > 1) {
      await this.turns.enter(job, token, target, job.id!, orderedMember(turn ?? 0, index, job.id!));
    }
    // Only a job that ran before can have been sent (its completion lost to a fault): ask then, not on a first run.
    const previous = job.attemptsStarted > 1 ? await this.sent.sentAs(job.id!) : null;
    if (previous !== null) {
      await this.turns.release(target, job.id!);
      this.logger.log({ ...this.logLine(job), attempt: job.attemptsMade + 1, outcome: 'already-sent', messageId: previous });
      return { messageId: previous, alreadySent: true };
    }

    // A reply that met a 429 goes again only as a probe, whichever process takes it up.
    const admission = this.breaker.admit((job.data.rateLimited ?? 0) > 0);
    if (!admission.go) return this.holdBack(job, admission.waitMs);
    const probe = admission.probe ? await this.takeProbe() : undefined;
    if (admission.probe && !probe) return this.holdBack(job, this.breaker.firstWindowMs); // another process probes
    let sent: SentMessage & { foundEarlier?: boolean };
    const started = performance.now();
    try {
      // An earlier send that may have been stored unconfirmed (no answer; its process died) is looked for first.
      const earlier = this.mayBeStoredUnconfirmed(job) ? await this.findEarlierSend(job) : undefined;
      sent = earlier !== undefined ? { id: earlier, foundEarlier: true } : await this.sender.sendBotMessage(job.data);
    } catch (raw) {
      // A failed send is logged once, by QueueWorkers (logLine); a 429 here, since it is no failure.
      const error = classify(raw);
      if (error.kind === 'transient') return await this.failedSend(job, error, admission.probe);
      if (error.kind === 'rate-limited') return await this.deferRateLimited(job, error, admission.probe);
      await this.answered();
      throw new SendRefusedError(error.status, error.message);
    } finally {
      if (probe) {
        this.breaker.released();
        await this.probeLock.giveBack(probe).catch(() => undefined); // else it lapses by itself
      }
    }

    // Recorded before the completion, and even when Redis is out of memory: a later run of this job (its
    // completion lost, a stall) finds it. Nothing that can fail comes before the record: a failure then would send
    // the reply again. The turn ends in the same step (one command), so the next reply of the conversation, after
    // this one, may go; both are retried together until Redis has them.
    const messageId = sent.id;
    const durationMs = Math.round(performance.now() - started);
    await this.sent.record(job.id!, messageId, (record) => this.turns.release(target, job.id!, record));
    const foundEarlier = sent.foundEarlier === true;
    const outcome = foundEarlier ? 'already-sent' : 'sent';
    this.logger.log({ ...this.logLine(job), status: sent.status, attempt: job.attemptsMade + 1, outcome, messageId, durationMs });
    await this.answered();
    if (sent.quota) await this.honour(sent.quota).catch(() => undefined); // a missed pause costs a 429, no more
    return { messageId, alreadySent: foundEarlier };
  }

  /** Its last send got no answer, or a process died running it since its last send's outcome was known. */
  private mayBeStoredUnconfirmed(job: Job<ReplyJobData>): boolean {
    return job.data.outcomeUnknown === true || job.stalledCounter > (job.data.stallsKnown ?? 0);
  }

  /**
   * CometChat is asked whether it stored an earlier send of this reply; one that refuses to say (a 4xx) means send. A
   * look that fails otherwise is retried like a send, the earlier send's outcome still unknown.
   */
  private async findEarlierSend(job: Job<ReplyJobData>): Promise<string | undefined> {
    try {
      return await this.sender.findSent(job.data, job.timestamp);
    } catch (raw) {
      const error = classify(raw);
      if (error.kind !== 'permanent') throw new CometChatError(error.kind, error.message, error.status, error.body, error.retryAfterMs, true);
      this.logger.warn({ ...this.logLine(job, error), outcome: 'lookup-refused', reason: `${error.message}: sent again without looking` });
      return undefined;
    }
  }

  /** Once the completion is recorded, BullMQ's completed job guards the reply; the sent record may go. */
  completed(job: Job<ReplyJobData>): Promise<void> {
    return this.sent.forget(job.id!);
  }

  /** A send's log lines name the reply (its job id), its muid and conversation, and CometChat's status when it answered. */
  logLine(job: Job<ReplyJobData>, error?: Error) {
    const status = error instanceof CometChatError || error instanceof SendRefusedError ? error.status : undefined;
    return {
      msg: 'send',
      replyId: job.id,
      muid: job.data.muid,
      conversation: conversationKey(job.data.target),
      ...(status !== undefined ? { status } : {}),
    };
  }

  /** The reply was refused for good: the conversation's next reply may go. */
  failedForGood(job: Job<ReplyJobData>): Promise<void> {
    return this.turns.release(job.data.target, job.id!);
  }

  /**
   * CometChat did not answer (5xx, timeout, refused): retried with capped backoff until the reply has been
   * failing for the retry budget, so an outage of minutes costs no reply; consecutive failures open the breaker.
   */
  private async failedSend(job: Job<ReplyJobData>, error: CometChatError, probe: boolean): Promise<never> {
    await this.withinBudget(job, error.message, { outcomeUnknown: error.outcomeUnknown, stallsKnown: job.stalledCounter });
    const pauseMs = this.breaker.failed(probe);
    if (pauseMs !== undefined) {
      this.logger.warn(`CometChat failing (${BREAKER_THRESHOLD}+ sends in a row): sending paused for ${pauseMs} ms, then one probe`);
      await this.breakerOpened(pauseMs, true);
    }
    throw error;
  }

  /** This process's breaker opened for `ms` (`failing`: an outage, not a 429): every process's sends pause, and hear why. */
  private async breakerOpened(ms: number, failing: boolean): Promise<void> {
    await this.pauseSends(ms);
    await this.broadcast.tell({ open: { forMs: ms, windows: this.breaker.windows, failing } });
  }

  /**
   * Pauses every process's sends for `ms` (BullMQ's queue-wide rate limit), never shortening a longer pause (a 429's).
   * The limiter's own count of a minute's sends is no pause: its TTL counts only once the count reaches the cap.
   */
  private async pauseSends(ms: number): Promise<void> {
    if ((await this.replies.getRateLimitTtl(this.sendsPerMinute)) >= ms) return;
    await this.replies.rateLimit(ms);
  }

  /** The shared right to probe, or undefined when another send (of any process) holds it; the breaker told either way. */
  private async takeProbe(): Promise<string | undefined> {
    const token = await this.probeLock.take().catch((error: Error) => {
      this.breaker.released();
      throw error;
    });
    if (!token) this.breaker.released();
    return token;
  }

  /**
   * The breaker is open: the reply waits, with its turn and its attempts, and without a call. Its budget counts to the
   * last failure seen, not to now: a reply held through a window in which CometChat came back is not failed for it.
   */
  private async holdBack(job: Job<ReplyJobData>, waitMs: number): Promise<never> {
    const failedAt = this.breaker.lastFailureAt;
    if (failedAt !== undefined) await this.withinBudget(job, 'held back by the open circuit breaker', {}, failedAt);
    await this.pauseSends(waitMs);
    throw Worker.RateLimitError();
  }

  /** CometChat answered: if the breaker was open, the backlog may flow at once rather than at the window's end. */
  private async answered(): Promise<void> {
    if (!this.breaker.answered()) return;
    this.logger.log('CometChat answers again: sending resumed');
    await this.replies.removeRateLimitKey().catch(() => undefined); // else the window just lapses
    await this.broadcast.tell({ closed: true });
  }

  /**
   * Throws once the reply has met CometChat failing for longer than REPLIES_RETRY_BUDGET_MS, from its first failure to
   * `failedAt` (now, for a failure of its own). `learnt`: what this failure tells of the last send, kept with the job
   * (written only when it changes).
   */
  private async withinBudget(
    job: Job<ReplyJobData>,
    last: string,
    learnt: Pick<ReplyJobData, 'outcomeUnknown' | 'stallsKnown'> = {},
    failedAt = Date.now(),
  ): Promise<void> {
    const { failingSince, ...data } = job.data;
    const changed = Object.entries(learnt).some(([field, value]) => job.data[field as keyof ReplyJobData] !== value);
    if (failingSince === undefined) {
      await job.updateData({ ...job.data, ...learnt, failingSince: Date.now() });
      return;
    }
    const failingMs = failedAt - failingSince;
    if (failingMs < this.budgetMs) {
      if (changed) await job.updateData({ ...job.data, ...learnt });
      return;
    }
    await job.updateData({ ...data, ...learnt }); // a replay gets a budget of its own
    throw new UnrecoverableError(`CometChat failing for ${Math.round(failingMs / 1000)} s, past the retry budget; last: ${last}`);
  }

  /**
   * A 429 is not a failure of the reply, nor of this conversation: sending pauses for the whole replies queue,
   * across every process, until CometChat's window reopens (BullMQ's queue-wide rate limit), and then one send
   * probes before the rest follow, so a storm costs one call per window. The job goes back to waiting, keeping its
   * turn and its attempts.
   */
  private async deferRateLimited(job: Job<ReplyJobData>, error: CometChatError, probe: boolean): Promise<never> {
    const rateLimited = (job.data.rateLimited ?? 0) + 1;
    if (rateLimited > MAX_RATE_LIMITED) {
      throw new SendRefusedError(error.status, `rate-limited ${MAX_RATE_LIMITED} times in a row; last: ${error.message}`);
    }
    const waitMs = error.retryAfterMs!;
    this.logger.warn({
      ...this.logLine(job, error),
      attempt: job.attemptsMade + 1,
      outcome: 'rate-limited',
      reason: `CometChat rate limit (429): sending paused for ${waitMs} ms`,
      waitMs,
    });
    this.breaker.limited(waitMs, probe);
    // CometChat answered this call: a send was not stored (a look's 429 leaves the earlier send unknown).
    await job.updateData({ ...job.data, rateLimited, outcomeUnknown: error.outcomeUnknown, stallsKnown: job.stalledCounter });
    await this.breakerOpened(waitMs, false);
    throw Worker.RateLimitError();
  }

  /** The quota CometChat reports: logged, and once it is spent, sending pauses until it resets. */
  private async honour({ remaining, resetInMs }: RateLimitQuota): Promise<void> {
    this.logger.debug(`CometChat quota: ${remaining} requests left${resetInMs !== undefined ? `, reset in ${resetInMs} ms` : ''}`);
    if (remaining > 0) return;
    const waitMs = Math.max(resetInMs ?? 1000, 1000);
    this.logger.warn(`CometChat quota spent (X-Rate-Limit-Remaining: 0): sending paused for ${waitMs} ms`);
    await this.pauseSends(waitMs);
  }
}
