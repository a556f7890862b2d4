import { DelayedError, Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Conversation } from './job-contracts';

/** How often a job whose turn has not come looks again; it waits as a delayed job, holding no worker. */
const TURN_POLL_MS = 150;
/** A turn claimed this long ago whose job cannot be found is abandoned (its store failed after the claim). */
const ORPHAN_AFTER_MS = 10_000;
/** Inactive conversations' turn lists expire. */
const TURNS_TTL_MS = 2 * 24 * 3600 * 1000;

export const conversationKey = (c: Conversation) => `${c.type}-${c.id}`;

/** Orders by CometChat's message id (numeric, increasing); the arrival time where an id is not a number. */
export function turnScore(messageId: string, receivedAt: number, index = 0): number {
  const base = /^\d{1,13}$/.test(messageId) ? Number(messageId) : receivedAt;
  return base + index / 100;
}

export type TurnState = 'mine' | 'untracked' | 'wait';

/**
 * One turn at a time per conversation, across every worker and process on the Redis: each item (an event, a
 * reply) claims a place in a sorted set when it is queued, and runs only when it is first in line; the
 * others wait as delayed jobs. Different conversations never wait for each other.
 */
export class ConversationTurns {
  constructor(
    private readonly prefix: string,
    private readonly queue: string,
  ) {}

  key(conversation: Conversation): string {
    return `${this.prefix}:${this.queue}:turns:${conversationKey(conversation)}`;
  }

  /** Takes a place in line (idempotent: a redelivery keeps the first place). One command: it is on the hot path. */
  claim(redis: Redis, conversation: Conversation, member: string, score: number): Promise<unknown> {
    return redis.zadd(this.key(conversation), 'NX', score, member);
  }

  /** Gives the place up; the line's expiry is refreshed here, off the hot path, so orphans cannot pile up. */
  async release(redis: Redis, conversation: Conversation, member: string): Promise<void> {
    const key = this.key(conversation);
    await redis.multi().zrem(key, member).pexpire(key, TURNS_TTL_MS).exec();
  }

  /**
   * Resolves when it is `member`'s turn; otherwise parks the job (moveToDelayed + DelayedError). A head whose
   * job is finished or gone (`isAbandoned`) is dropped so a crash can never wedge a conversation.
   */
  async waitForTurn(
    redis: Redis,
    job: Job,
    token: string | undefined,
    conversation: Conversation,
    member: string,
    isAbandoned: (head: string) => Promise<boolean>,
  ): Promise<TurnState> {
    const key = this.key(conversation);
    for (;;) {
      const [head] = await redis.zrange(key, '0', '0');
      if (head === undefined || head === member) return head === undefined ? 'untracked' : 'mine';
      if ((await redis.zscore(key, member)) === null) return 'untracked'; // e.g. a manual replay: run now
      if (!(await isAbandoned(head))) break;
      await redis.zrem(key, head);
    }
    await job.moveToDelayed(Date.now() + TURN_POLL_MS, token);
    throw new DelayedError();
  }
}

/** True when a job id names no job, or one that has finished (completed or failed for good). */
export async function jobIsOver(job: Job | undefined): Promise<boolean> {
  if (!job) return true;
  const state = await job.getState();
  return state === 'completed' || state === 'failed' || state === 'unknown';
}

export { ORPHAN_AFTER_MS };
