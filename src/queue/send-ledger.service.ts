import { Injectable } from '@nestjs/common';
import { REPLIES_QUEUE } from './job-contracts';
import { WorkerRedis } from './worker-redis.service';

// Longer than the dedup window plus failed-job retention, so no path can resend a confirmed reply.
const LEDGER_TTL_SECONDS = 8 * 24 * 60 * 60;

/** Which replies CometChat has confirmed, by reply job id, so a retry or a re-run never posts twice. */
@Injectable()
export class SendLedger {
  private readonly keyPrefix: string;

  constructor(private readonly redis: WorkerRedis) {
    this.keyPrefix = `${redis.prefix}:${REPLIES_QUEUE}:sent:`;
  }

  /** The CometChat message id the reply was stored as, or null when it was never confirmed. */
  sentAs(replyId: string): Promise<string | null> {
    return this.redis.client.get(this.keyPrefix + replyId);
  }

  async record(replyId: string, messageId: string): Promise<void> {
    await this.redis.client.set(this.keyPrefix + replyId, messageId || 'unknown', 'EX', LEDGER_TTL_SECONDS);
  }
}
