import { DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq';
import { ReplyRefused, RetryBudgetSpent, SendPauses, SendsPaused } from './delivery-policy';

/**
 * The delivery policy's pauses over the replies queue's queue-wide rate limit (BullMQ's), which every process's worker
 * obeys. `sendsPerMinute` is the queue's limiter cap (a number that never binds when uncapped): the limiter's own
 * count of a minute's sends is no pause, its TTL counting only once the count reaches the cap.
 */
export function queuePauses(replies: Queue, sendsPerMinute: number): SendPauses {
  return {
    pause: (ms) => replies.rateLimit(ms),
    // The one bot's app is the only app: its pause is the queue's, never shortened.
    pauseApp: async (ms) => {
      if ((await replies.getRateLimitTtl(sendsPerMinute)) < ms) await replies.rateLimit(ms);
    },
    pausedForMs: () => replies.getRateLimitTtl(sendsPerMinute),
    lift: () => replies.removeRateLimitKey(),
  };
}

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

/**
 * The policy's decisions as BullMQ acts on them: a pause sends the job back to waiting with its turn and attempts (the
 * queue's rate limit, set by the policy) or, for one bot of several (`waitAlone`), delays this job alone until the
 * bot's pause or budget lets it go; a refusal or a spent budget fails it for good. A send's own failure is rethrown as
 * it came, for a retry with backoff.
 */
export async function inBullmqTerms(error: unknown, waitAlone?: (ms: number) => Promise<void>): Promise<never> {
  if (error instanceof SendsPaused && waitAlone) {
    await waitAlone(error.waitMs);
    throw new DelayedError();
  }
  if (error instanceof SendsPaused) throw Worker.RateLimitError();
  if (error instanceof ReplyRefused) throw new SendRefusedError(error.status, error.message);
  if (error instanceof RetryBudgetSpent) throw new UnrecoverableError(error.message);
  throw error;
}
