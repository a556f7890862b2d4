import type { Queue } from 'bullmq';
import type { RedisClient as Redis } from '../../redis';
import type { Conversation } from '../../messages';
import { absorbedKey, batchKey, LINE_TTL_MS, lineKeys, SequencerRedis, withSequencerScripts } from './sequencer.scripts';

/** A turn answers at most this many messages: its own and up to 19 that waited behind it. */
export const MAX_BATCH = 20;

/** A message a coalesced turn took from the line: its job, when it was stored, and its job's data. */
export interface AbsorbedEntry<T> {
  jobId: string;
  timestamp: number;
  data: T;
}

export interface CoalescerOptions {
  prefix: string;
  /** The queue whose jobs take turns (events). */
  queue: Queue;
  /** The worker side's patient connection, for the scripts. */
  redis: Redis;
}

/**
 * Lets the job holding its conversation's turn answer the messages waiting right behind it in the same turn.
 * Two calls: a look at who waits (seqBatchPeek), then, for those the caller accepts, the absorb itself (seqAbsorb),
 * which takes them out of line, marks their jobs and records the batch, all before the responder runs. So a retry,
 * a stalled re-run or a replay of the job gets the same batch; an absorbed message's own job ends at once when it
 * runs (TurnSequencer.enter); a message that arrives after the absorb stays in line for the next turn.
 */
export class TurnCoalescer<T> {
  private readonly redis: SequencerRedis;

  constructor(private readonly options: CoalescerOptions) {
    this.redis = withSequencerScripts(options.redis);
  }

  /**
   * The messages this turn answers besides its own, oldest first (at most MAX_BATCH - 1): the batch recorded for
   * `jobId` if there is one, else those waiting right behind it whose jobs are stored and which `accepts` takes,
   * up to the first that is not. `messageId` is what their jobs will say answered them.
   */
  async absorb(conversation: Conversation, jobId: string, messageId: string, accepts: (data: T) => boolean): Promise<AbsorbedEntry<T>[]> {
    const { prefix, queue } = this.options;
    const { line, turn } = lineKeys(prefix, queue.name, conversation);
    const batch = batchKey(prefix, queue.name, jobId);
    const [state, ...found] = await this.redis.seqBatchPeek(line, turn, batch, jobId, MAX_BATCH - 1);
    if (state === 1) return JSON.parse(String(found[0])) as AbsorbedEntry<T>[];
    if (state === 2) return [];
    const members = found.filter((_, i) => i % 2 === 0).map(String);
    const jobIds = found.filter((_, i) => i % 2 === 1).map(String);
    // Only messages safely stored: a place whose add is still on its way (or failed, or was a duplicate) has no
    // job yet, and ends the batch there, so that nothing behind it is answered before it.
    const jobs = await Promise.all(jobIds.map((id) => queue.getJob(id)));
    const taken: Array<{ member: string; entry: AbsorbedEntry<T> }> = [];
    for (const [n, job] of jobs.entries()) {
      if (!job || job.finishedOn || !accepts(job.data as T)) break;
      taken.push({ member: members[n], entry: { jobId: jobIds[n], timestamp: job.timestamp, data: job.data as T } });
    }
    const keys = [line, turn, batch, ...taken.map(({ entry }) => absorbedKey(prefix, queue.name, entry.jobId))];
    const args = [jobId, LINE_TTL_MS, messageId, ...taken.flatMap(({ member, entry }) => [member, JSON.stringify(entry)])];
    const recorded = await this.redis.seqAbsorb(keys.length, ...keys, ...args);
    return recorded === null ? [] : (JSON.parse(recorded) as AbsorbedEntry<T>[]);
  }
}
