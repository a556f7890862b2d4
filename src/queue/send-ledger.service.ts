import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { redisConfig, RedisConfig } from '../config/app.config';
import { REPLIES_QUEUE } from './job-contracts';
import { redisClientOf } from './redis-client';

// Longer than the dedup window plus failed-job retention, so no path can resend a confirmed reply.
const LEDGER_TTL_SECONDS = 8 * 24 * 60 * 60;

/** Which replies CometChat has confirmed, by reply job id, so a retry or a re-run never posts twice. */
@Injectable()
export class SendLedger {
  private readonly keyPrefix: string;

  constructor(
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue,
    @Inject(redisConfig.KEY) redis: RedisConfig,
  ) {
    this.keyPrefix = `${redis.prefix}:${REPLIES_QUEUE}:sent:`;
  }

  /** The CometChat message id the reply was stored as, or null when it was never confirmed. */
  async sentAs(replyId: string): Promise<string | null> {
    const client = await redisClientOf(this.replies);
    return client.get(this.keyPrefix + replyId);
  }

  async record(replyId: string, messageId: string): Promise<void> {
    const client = await redisClientOf(this.replies);
    await client.set(this.keyPrefix + replyId, messageId || 'unknown', 'EX', LEDGER_TTL_SECONDS);
  }
}
