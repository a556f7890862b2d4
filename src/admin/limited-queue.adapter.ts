import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Queue } from 'bullmq';

/**
 * Bull Board's BullMQ adapter, told the queue's limiter. A worker's limiter is not stored with the queue, and
 * without its max BullMQ reports the time left in the limiter's window after any job: the board would show the
 * replies queue "rate limited" after every send. With it, only a real pause shows: the cap reached, or the pause
 * a 429 asks for (Queue.rateLimit).
 */
export class LimitedQueueAdapter extends BullMQAdapter {
  constructor(
    private readonly limited: Queue,
    private readonly limiterMax: number | undefined,
  ) {
    super(limited);
  }

  override async getActiveRateLimitTtl(): Promise<number> {
    if (this.limiterMax === undefined) return super.getActiveRateLimitTtl();
    const ttl = await this.limited.getRateLimitTtl(this.limiterMax);
    return ttl > 0 ? ttl : 0;
  }
}
