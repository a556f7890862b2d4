import type { Queue } from 'bullmq';
import type { Conversation } from '../../messages';
import type { LineCommands } from './line-commands';

/** A turn answers at most this many messages: its own and up to 19 that waited behind it. */
export const MAX_BATCH = 20;

/** A message a coalesced turn took from the line: its job, when it was stored, and its job's data. */
export interface AbsorbedEntry<T> {
  jobId: string;
  timestamp: number;
  data: T;
}

/** A message waiting right behind a turn, which that turn may absorb; `place` is its place in line (the library's). */
export interface WaitingEntry<T> extends AbsorbedEntry<T> {
  readonly place: string;
}

/** Who waits behind a turn: the batch it recorded already (a re-run), or the messages it may still absorb, oldest first. */
export type Behind<T> = { recorded: AbsorbedEntry<T>[] } | { waiting: WaitingEntry<T>[] };

/**
 * Lets the job holding its conversation's turn answer the messages waiting right behind it in the same turn.
 * Two steps: a look at who waits (behind), then, for those the caller takes, the absorb itself, which takes them out
 * of line, marks their jobs and records the batch, all before the responder runs. So a retry, a stalled re-run or a
 * replay of the job gets the same batch; an absorbed message's own job ends at once when it runs (TurnSequencer.enter);
 * a message that arrives after the absorb stays in line for the next turn.
 */
export class TurnCoalescer<T> {
  constructor(
    private readonly queue: Queue,
    private readonly commands: LineCommands,
  ) {}

  /**
   * The batch recorded for `jobId` if there is one; else the messages waiting right behind it (at most MAX_BATCH - 1)
   * whose jobs are stored, up to the first that is not.
   */
  async behind(conversation: Conversation, jobId: string, { more = false, room = MAX_BATCH - 1 } = {}): Promise<Behind<T>> {
    if (room <= 0) return { waiting: [] };
    const found = await this.commands.peekBehind(this.commands.keys(conversation), jobId, room, more);
    if (found.kind === 'recorded') return { recorded: JSON.parse(found.batch) as AbsorbedEntry<T>[] };
    if (found.kind === 'not-holding') return { recorded: [] };
    // Only messages safely stored: a place whose add is still on its way (or failed, or was a duplicate) has no job
    // yet, and ends the batch there, so that nothing behind it is answered before it.
    const jobs = await Promise.all(found.jobIds.map((id) => this.queue.getJob(id)));
    const waiting: WaitingEntry<T>[] = [];
    for (const [n, job] of jobs.entries()) {
      if (!job || job.finishedOn) break;
      waiting.push({ place: found.members[n], jobId: found.jobIds[n], timestamp: job.timestamp, data: job.data as T });
    }
    return { waiting };
  }

  /**
   * Takes `taken` (a run of the waiting entries, from the first) into the turn `jobId` holds, answered by `messageId`;
   * returns the batch recorded (the one recorded before, on a re-run).
   */
  async absorb(conversation: Conversation, jobId: string, messageId: string, taken: WaitingEntry<T>[], more = false): Promise<AbsorbedEntry<T>[]> {
    const entries = taken.map(({ place, jobId: id, timestamp, data }) => ({
      member: place,
      jobId: id,
      entry: JSON.stringify({ jobId: id, timestamp, data }),
    }));
    const recorded = await this.commands.absorb(this.commands.keys(conversation), jobId, messageId, entries, more);
    return recorded === null ? [] : (JSON.parse(recorded) as AbsorbedEntry<T>[]);
  }
}
