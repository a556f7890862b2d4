import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { queueConfig, QueueConfig } from '../config/app.config';
import { CometChatClient } from '../cometchat/cometchat-client.service';
import { classify, RateLimitQuota } from '../cometchat/cometchat-error';
import { MAX_RATE_LIMITED, ReplyJobData } from './job-contracts';
import { REPLIES_QUEUE } from './queue-definitions';
import type { QueueProcessor } from './queue-processor';
import { SentReplies } from './sent-replies';
import { orderedMember, TurnSequencer } from './sequencing/turn-sequencer';
import { WorkerRedis } from './worker-redis.service';

export interface ReplyOutcome {
  messageId: string;
  /** True when CometChat had already confirmed this reply on an earlier run of the job. */
  alreadySent: boolean;
}

/**
 * Sends one reply through CometChat, in its conversation's order, turning each kind of failure into the right
 * retry.
 */
@Injectable()
export class RepliesProcessor implements QueueProcessor<ReplyJobData, ReplyOutcome> {
  private readonly logger = new Logger(RepliesProcessor.name);
  private readonly turns: TurnSequencer;

  constructor(
    private readonly cometchat: CometChatClient,
    private readonly sent: SentReplies,
    redis: WorkerRedis,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue<ReplyJobData>,
    @Inject(queueConfig.KEY) queue: QueueConfig,
  ) {
    this.turns = new TurnSequencer({
      prefix: redis.prefix,
      queue: replies,
      redis: redis.client,
      parkMs: queue.lockMs,
      jobIdOf: async (jobId) => jobId,
    });
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
      return { messageId: previous, alreadySent: true };
    }

    let messageId: string;
    try {
      const sent = await this.cometchat.sendBotMessage(job.data);
      messageId = sent.id;
      if (sent.quota) await this.honour(sent.quota);
    } catch (raw) {
      const error = classify(raw);
      if (error.kind === 'permanent') {
        this.logger.error(`reply ${job.id} refused for good: ${error.message}`);
        throw new UnrecoverableError(error.message);
      }
      if (error.kind === 'rate-limited') return this.deferRateLimited(job, error.retryAfterMs!, error.message);
      throw error;
    }

    // Recorded before the completion, and even when Redis is out of memory: a later run of this job (its
    // completion lost, a stall) finds it. The next reply of the conversation may go meanwhile: it is after this one.
    await Promise.all([this.sent.record(job.id!, messageId), this.turns.release(target, job.id!)]);
    return { messageId, alreadySent: false };
  }

  /** Once the completion is recorded, BullMQ's completed job guards the reply; the sent record may go. */
  completed(job: Job<ReplyJobData>): Promise<void> {
    return this.sent.forget(job.id!);
  }

  /** The reply was refused for good: the conversation's next reply may go. */
  failedForGood(job: Job<ReplyJobData>): Promise<void> {
    return this.turns.release(job.data.target, job.id!);
  }

  /**
   * A 429 is not a failure of the reply, nor of this conversation: sending pauses for the whole replies queue,
   * across every process, until CometChat's window reopens (BullMQ's queue-wide rate limit), so a storm costs about
   * one call per window. The job goes back to waiting, keeping its turn and its attempts.
   */
  private async deferRateLimited(job: Job<ReplyJobData>, waitMs: number, why: string): Promise<never> {
    const rateLimited = (job.data.rateLimited ?? 0) + 1;
    if (rateLimited > MAX_RATE_LIMITED) {
      throw new UnrecoverableError(`rate-limited ${MAX_RATE_LIMITED} times in a row; last: ${why}`);
    }
    this.logger.warn(`CometChat rate limit (429) on reply ${job.id}: sending paused for ${waitMs} ms`);
    await job.updateData({ ...job.data, rateLimited });
    await this.replies.rateLimit(waitMs);
    throw Worker.RateLimitError();
  }

  /** The quota CometChat reports: logged, and once it is spent, sending pauses until it resets. */
  private async honour({ remaining, resetInMs }: RateLimitQuota): Promise<void> {
    this.logger.debug(`CometChat quota: ${remaining} requests left${resetInMs !== undefined ? `, reset in ${resetInMs} ms` : ''}`);
    if (remaining > 0) return;
    const waitMs = Math.max(resetInMs ?? 1000, 1000);
    this.logger.warn(`CometChat quota spent (X-Rate-Limit-Remaining: 0): sending paused for ${waitMs} ms`);
    await this.replies.rateLimit(waitMs);
  }
}
