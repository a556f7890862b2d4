import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { CometChatClient } from '../cometchat/cometchat-client.service';
import { classify } from '../cometchat/cometchat-error';
import { MAX_RATE_LIMITED, ReplyJobData } from './job-contracts';
import { SendLedger } from './send-ledger.service';

export interface ReplyOutcome {
  messageId: string;
  /** True when the ledger showed CometChat had already stored this reply. */
  alreadySent: boolean;
}

/** Sends one reply through CometChat, turning each kind of failure into the right retry. */
@Injectable()
export class RepliesProcessor {
  private readonly logger = new Logger(RepliesProcessor.name);

  constructor(
    private readonly cometchat: CometChatClient,
    private readonly ledger: SendLedger,
  ) {}

  async process(job: Job<ReplyJobData>, token?: string): Promise<ReplyOutcome> {
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
