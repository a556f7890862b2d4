import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, Queue, UnrecoverableError } from 'bullmq';
import { CometChatClient } from '../cometchat/cometchat-client.service';
import { classify } from '../cometchat/cometchat-error';
import { ConversationTurns, jobIsOver } from './conversation-turns';
import { MAX_RATE_LIMITED, REPLIES_QUEUE, ReplyJobData } from './job-contracts';
import { SendLedger } from './send-ledger.service';
import { WorkerRedis } from './worker-redis.service';

export interface ReplyOutcome {
  messageId: string;
  /** True when the ledger showed CometChat had already stored this reply. */
  alreadySent: boolean;
}

/**
 * Sends one reply through CometChat, in its conversation's order, turning each kind of failure into the right
 * retry.
 */
@Injectable()
export class RepliesProcessor {
  private readonly logger = new Logger(RepliesProcessor.name);
  private readonly turns: ConversationTurns;

  constructor(
    private readonly cometchat: CometChatClient,
    private readonly ledger: SendLedger,
    private readonly redis: WorkerRedis,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue<ReplyJobData>,
  ) {
    this.turns = new ConversationTurns(redis.prefix, REPLIES_QUEUE);
  }

  async process(job: Job<ReplyJobData>, token?: string): Promise<ReplyOutcome> {
    const replyId = job.id!;
    const { target } = job.data;
    await this.turns.waitForTurn(this.redis.client, job, token, target, replyId, async (head) =>
      jobIsOver(await Job.fromId(this.replies, head)),
    );
    try {
      const outcome = await this.send(job, token);
      await this.turns.release(this.redis.client, target, replyId);
      return outcome;
    } catch (error) {
      // A parked (429) reply keeps its place; a final failure gives it up so the conversation moves on.
      const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (!(error instanceof DelayedError) && final) await this.turns.release(this.redis.client, target, replyId);
      throw error;
    }
  }

  private async send(job: Job<ReplyJobData>, token: string | undefined): Promise<ReplyOutcome> {
    const replyId = job.id!;
    const previous = await this.ledger.sentAs(replyId);
    if (previous !== null) return { messageId: previous, alreadySent: true };

    let messageId: string;
    try {
      messageId = (await this.cometchat.sendBotMessage(job.data)).id;
    } catch (raw) {
      const error = classify(raw);
      if (error.kind === 'permanent') {
        this.logger.error(`reply ${replyId} refused for good: ${error.message}`);
        throw new UnrecoverableError(error.message);
      }
      if (error.kind === 'rate-limited') return this.deferRateLimited(job, token, error.retryAfterMs!, error.message);
      throw error;
    }

    try {
      await this.ledger.record(replyId, messageId);
    } catch (error) {
      // The message is out; failing the job now would only make a retry post it again.
      this.logger.error(`reply ${replyId} sent as ${messageId} but not recorded: ${(error as Error).message}`);
    }
    return { messageId, alreadySent: false };
  }

  /** A 429 is not a failure of the reply: park the job until CometChat's window reopens, freeing the worker. */
  private async deferRateLimited(job: Job<ReplyJobData>, token: string | undefined, waitMs: number, why: string): Promise<never> {
    const rateLimited = (job.data.rateLimited ?? 0) + 1;
    if (rateLimited > MAX_RATE_LIMITED) {
      throw new UnrecoverableError(`rate-limited ${MAX_RATE_LIMITED} times in a row; last: ${why}`);
    }
    this.logger.warn(`reply ${job.id} rate-limited; retrying in ${waitMs} ms`);
    await job.updateData({ ...job.data, rateLimited });
    await job.moveToDelayed(Date.now() + waitMs, token);
    throw new DelayedError();
  }
}
