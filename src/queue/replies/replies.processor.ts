import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { cometchatConfig, CometChatConfig, queueConfig, QueueConfig } from '../../config/app.config';
import { CometChatError } from '../../cometchat/cometchat-error';
import { REPLY_SENDER, ReplySender } from '../../cometchat/reply-sender';
import { conversationKey } from '../../messages';
import type { ReplyJobData } from '../job-contracts';
import { QUEUES, REPLIES_QUEUE } from '../queue-definitions';
import type { QueueProcessor } from '../workers/queue-processor';
import { BreakerBroadcast } from './breaker-broadcast';
import { DeliveryPolicy } from './delivery-policy';
import { inBullmqTerms, queuePauses, SendRefusedError } from './delivery-in-bullmq';
import { ProbeLock } from './probe-lock';
import { SentReplies } from './sent-replies';
import { ReplyTurns } from '../turns';
import { WorkerRedis } from '../../redis/worker-redis.service';

export interface ReplyOutcome {
  messageId: string;
  /** True when CometChat had already confirmed this reply on an earlier run of the job. */
  alreadySent: boolean;
}

/**
 * Sends one reply through CometChat (or the sandbox: whatever REPLY_SENDER is), in its conversation's order; when
 * and how it goes (breaker, pauses, retry budget) is the DeliveryPolicy's word, said here in BullMQ's terms.
 */
@Injectable()
export class RepliesProcessor implements QueueProcessor<ReplyJobData, ReplyOutcome>, OnApplicationBootstrap {
  private readonly logger = new Logger(RepliesProcessor.name);
  private readonly policy: DeliveryPolicy<Job<ReplyJobData>>;

  constructor(
    @Inject(REPLY_SENDER) sender: ReplySender,
    private readonly sent: SentReplies,
    private readonly turns: ReplyTurns,
    redis: WorkerRedis,
    @InjectQueue(REPLIES_QUEUE) replies: Queue<ReplyJobData>,
    @Inject(queueConfig.KEY) queue: QueueConfig,
    @Inject(cometchatConfig.KEY) cometchat: Pick<CometChatConfig, 'timeoutMs'>,
    news: BreakerBroadcast,
  ) {
    const pauses = queuePauses(replies, QUEUES.replies.limiter(queue).max);
    // Held for a send's longest possible call, and a margin for its hand-back.
    const probes = new ProbeLock(redis.client, `${redis.prefix}:${REPLIES_QUEUE}:probe`, cometchat.timeoutMs + 5000);
    const ports = { sender, pauses, probes, news, log: this.logger, lineOf: this.logLine.bind(this) };
    const { backoffMs: firstWindowMs, backoffMaxMs: maxWindowMs } = queue.replies;
    this.policy = new DeliveryPolicy(ports, { firstWindowMs, maxWindowMs, budgetMs: queue.repliesRetryBudgetMs });
  }

  /** This process's breaker hears the others'. */
  onApplicationBootstrap(): Promise<void> {
    return this.policy.listen();
  }

  async process(job: Job<ReplyJobData>, token?: string): Promise<ReplyOutcome> {
    await this.turns.enter(job, token);
    // Only a job that ran before can have been sent (its completion lost to a fault): ask then, not on a first run.
    const previous = job.attemptsStarted > 1 ? await this.sent.sentAs(job.id!) : null;
    if (previous !== null) {
      await this.turns.release(job);
      this.logger.log({ ...this.logLine(job), attempt: job.attemptsMade + 1, outcome: 'already-sent', messageId: previous });
      return { messageId: previous, alreadySent: true };
    }

    // The delivery policy admits it (or holds it back: a pause, a probe elsewhere) and settles a failed send.
    const admitted = await this.policy.admit(job).catch(inBullmqTerms);
    const started = performance.now();
    const sent = await this.policy.send(job, admitted).catch(inBullmqTerms);
    const durationMs = Math.round(performance.now() - started);

    // Recorded before the completion, and even when Redis is out of memory: a later run of this job (its
    // completion lost, a stall) finds it. Nothing that can fail comes before the record: a failure then would send
    // the reply again. The turn ends in the same step (one command), so the next reply of the conversation, after
    // this one, may go; both are retried together until Redis has them.
    await this.sent.record(job.id!, sent.id, (record) => this.turns.release(job, record));
    const outcome = sent.foundEarlier === true ? 'already-sent' : 'sent';
    this.logger.log({ ...this.logLine(job), status: sent.status, attempt: job.attemptsMade + 1, outcome, messageId: sent.id, durationMs });
    await this.policy.delivered(sent.quota);
    return { messageId: sent.id, alreadySent: sent.foundEarlier === true };
  }

  /** Once the completion is recorded, BullMQ's completed job guards the reply; the sent record may go. */
  completed(job: Job<ReplyJobData>): Promise<void> {
    return this.sent.forget(job.id!);
  }

  /**
   * A send's log lines name the reply (its job id), its muid and conversation, and CometChat's status when it answered;
   * with several bots, its bot (the conversation's, as the webhook's and the turn lines name it).
   */
  logLine(job: Job<ReplyJobData>, error?: Error) {
    const status = error instanceof CometChatError || error instanceof SendRefusedError ? error.status : undefined;
    const { bot } = job.data.target;
    return {
      msg: 'send',
      ...(bot !== undefined ? { bot } : {}),
      replyId: job.id,
      muid: job.data.muid,
      conversation: conversationKey(job.data.target),
      ...(status !== undefined ? { status } : {}),
    };
  }

  /** The reply was refused for good: the conversation's next reply may go. */
  failedForGood(job: Job<ReplyJobData>): Promise<void> {
    return this.turns.release(job);
  }
}
