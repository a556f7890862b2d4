import { DelayedError, Job, JobState, Queue } from 'bullmq';
import type { Conversation } from '../../messages';
import { LineCommands, LineKeys, NextInLine, refOf, TurnRecord } from './line-commands';

/** How many stale heads one hand-off drops before leaving the rest to the next one. */
const MAX_DROPS = 50;
/**
 * A place claimed at ingest whose job has not taken its turn after this long is checked: its job may be gone
 * (its process died between the claim and the add). Younger ones are trusted: their job takes its turn itself.
 */
const STALE_CLAIM_MS = 3000;
/** States of a job that will still run: a head in one of these takes its turn by itself when it runs. */
const PENDING: ReadonlySet<JobState | 'unknown'> = new Set(['waiting', 'active', 'prioritized', 'waiting-children']);

/** What enter() says: the job holds the turn (its number), or a coalesced turn answered its message already. */
export type Entered = { kind: 'turn'; turn: number } | { kind: 'absorbed'; into: string };

export interface SequencerOptions {
  /** The queue whose jobs take turns. */
  queue: Queue;
  /** The line's scripts, on the worker side's patient connection. */
  commands: LineCommands;
  /**
   * The recovery check: how long a parked job sleeps before it looks at its line by itself, should a hand-off be lost
   * to a crash. The job lock bounds it: a turn whose process died is recovered after the lock lapses, not before.
   */
  recoveryCheckMs: number;
  /** The job id a member's ref names in its conversation (events: the message id's deduplicated job; replies: the ref itself). */
  jobIdOf: (ref: string, conversation: Conversation) => Promise<string | null | undefined>;
}

/**
 * One turn at a time per conversation, in order, across every worker and process on the Redis. Each job takes a
 * place in its conversation's line (at ingest, or when it first runs); a job that is not first in line, or whose
 * conversation is busy, is parked once as a delayed job (holding no worker) and is promoted by the hand-off when
 * the turn before it ends. The only timer is the parked job's own recovery check.
 */
export class TurnSequencer {
  constructor(private readonly options: SequencerOptions) {}

  get recoveryCheckMs(): number {
    return this.options.recoveryCheckMs;
  }

  keys(conversation: Conversation): LineKeys {
    return this.options.commands.keys(conversation);
  }

  /**
   * Resolves with the turn number when `job` may run now (it holds the turn until `release`). Otherwise parks the
   * job and throws DelayedError, which BullMQ takes as "moved to delayed": rethrow it.
   * `member` is the job's place in line when the caller orders it itself (replies); '' orders by message id.
   * Resolves with `absorbed`, holding nothing, when a coalesced turn took the job's message (see TurnCoalescer).
   */
  async enter(job: Job, token: string | undefined, conversation: Conversation, ref: string, member = ''): Promise<Entered> {
    const { commands, recoveryCheckMs } = this.options;
    const keys = this.keys(conversation);
    const absorbed = commands.absorbedKey(job.id!);
    let parkFor = recoveryCheckMs;
    let mine: string;
    let nextInLine: boolean;
    for (let drops = 0; ;) {
      const entry = await commands.enter(keys, absorbed, job.id!, ref, member);
      if (entry.kind === 'granted') return { kind: 'turn', turn: entry.turn };
      if (entry.kind === 'absorbed') return entry;
      mine = entry.member;
      if (entry.kind === 'held') {
        nextInLine = entry.head === mine;
        // The turn is held. Only a holder older than the recovery check is checked: it may have died after finishing.
        if (Date.now() - entry.since < recoveryCheckMs || !(await this.isOver(entry.owner))) break;
        await this.handOff(conversation, keys, await commands.release(keys, entry.owner));
        continue;
      }
      // Nobody holds the turn but another member heads the line: wake it, or drop it if its job is gone.
      const { next } = entry;
      nextInLine = next.member === mine;
      // A job taken up again (its recovery check, mostly) also checks a head marked woken (see wake()).
      const outcome = await this.wake(conversation, next, job.attemptsStarted > 1);
      if (outcome === 'pending' && !next.parked && next.claim) {
        // A fresh place whose job has not been taken up yet: it will hand the turn on, or, if its job never comes,
        // be found stale when this job looks again.
        parkFor = Math.min(parkFor, STALE_CLAIM_MS - (Date.now() - next.claim.at) + 50);
      }
      if (outcome !== 'gone' || ++drops > MAX_DROPS) break;
      await commands.drop(keys, next.member);
    }
    await job.moveToDelayed(Date.now() + Math.max(parkFor, 1), token);
    if (nextInLine) {
      // Next in line: the turn may have been handed over while this job was being parked; then it takes it and
      // wakes itself. (A job further back was marked parked by enterLine: see wake() for the rare race.)
      if ((await commands.markParked(keys, job.id!, mine, ref)) !== undefined) await this.promote(job.id!);
    }
    throw new DelayedError();
  }

  /**
   * Queues jobs that take turns in the order given by their members (replies). The first job gets the turn at
   * once when its conversation is free, and is added runnable; the others (or all, when the conversation is busy)
   * are added parked, so no worker takes one up before its turn, and are woken by the hand-off. Idempotent: the
   * same jobs queued again (a re-run) are neither added nor placed twice. Pass `mayGrant: false` when the jobs may
   * exist already (a re-run): an existing job is not added again, so it could not take a turn given at once.
   */
  async queueInTurn(
    conversation: Conversation,
    places: Array<{ member: string; jobId: string }>,
    add: (runnableFirst: boolean) => Promise<unknown>,
    { mayGrant = true } = {},
  ): Promise<void> {
    const { commands } = this.options;
    const keys = this.keys(conversation);
    const granted = mayGrant && (await commands.claimPlaces(keys, places)) !== undefined;
    await add(granted);
    const parked = granted ? places.slice(1) : places;
    if (parked.length === 0) return;
    await this.handOff(conversation, keys, await commands.claimParked(keys, parked));
  }

  /**
   * Ends `jobId`'s turn (completed, or failed for good) and wakes the next in line. Idempotent. With `record`, that
   * key is set in the same step, so the turn never ends without it (a sent reply's record).
   */
  async release(conversation: Conversation, jobId: string, record?: TurnRecord): Promise<void> {
    const keys = this.keys(conversation);
    await this.handOff(conversation, keys, await this.options.commands.release(keys, jobId, record));
  }

  /**
   * Promotes jobs parked out of line (a coalesced turn's absorbed messages), so that they end now rather than at
   * their recovery check; one still being parked is promoted once it is. Best effort: the recovery check remains.
   */
  async wakeParked(jobIds: string[]): Promise<void> {
    await Promise.all(
      jobIds.map(async (jobId) => {
        if (await this.promote(jobId)) return;
        if ((await this.options.queue.getJobState(jobId)) === 'active') this.promoteOnceParked(jobId);
      }),
    );
  }

  private async handOff(conversation: Conversation, keys: LineKeys, next: NextInLine | null): Promise<void> {
    for (let drops = 0; next && drops <= MAX_DROPS; drops++) {
      if ((await this.wake(conversation, next)) !== 'gone') return;
      next = await this.options.commands.drop(keys, next.member);
    }
  }

  /**
   * Makes the head's job runnable: 'woken' when it was parked and is promoted now, 'pending' when it will run by
   * itself (waiting to be taken up, or still being parked: it looks once more after parking), 'gone' when no job
   * will run it.
   */
  private async wake(conversation: Conversation, { member, parked, claim }: NextInLine, checkWoken = false): Promise<'woken' | 'pending' | 'gone'> {
    if (parked?.woken) {
      // Woken already by someone else: it runs, or its own recovery check wakes it if that someone died meanwhile.
      // At a recovery check, look closer: a Redis failover can keep the waking and lose the job's taking and ending of
      // the turn, leaving a head whose job is over and nobody to hand on.
      if (!checkWoken) return 'pending';
      return (await this.isOver(parked.jobId)) ? 'gone' : 'pending';
    }
    if (parked && (await this.promote(parked.jobId))) return 'woken';
    const fresh = !!claim && Date.now() - claim.at < STALE_CLAIM_MS;
    let jobId = parked?.jobId ?? null;
    if (!jobId && claim) {
      if (fresh) return 'pending';
      jobId = claim.jobId;
    }
    jobId ??= (await this.options.jobIdOf(refOf(member), conversation)) ?? null;
    if (!jobId) return 'gone';
    const state = await this.options.queue.getJobState(jobId);
    if (state === 'delayed') return (await this.promote(jobId)) ? 'woken' : 'pending';
    // Marked parked but still running its park (it became next while being parked), or parked at ingest and its
    // store still on its way (it follows the claim at once): promote it once it is delayed.
    if (parked && (state === 'active' || (state === 'unknown' && fresh))) {
      this.promoteOnceParked(jobId);
      return 'pending';
    }
    return PENDING.has(state) ? 'pending' : 'gone';
  }

  /** A few short tries, then the job's own recovery check. */
  private promoteOnceParked(jobId: string, tries = 5, waitMs = 10): void {
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- it cannot reject: promote() and the state lookup catch
    setTimeout(async () => {
      if (await this.promote(jobId)) return;
      const state = await this.options.queue.getJobState(jobId).catch(() => 'unknown');
      if ((state === 'active' || state === 'unknown') && tries > 1) this.promoteOnceParked(jobId, tries - 1, waitMs * 2);
    }, waitMs).unref();
  }

  /** True when the job finished (completed, failed for good) or is gone: its turn can be taken from it. */
  private async isOver(jobId: string): Promise<boolean> {
    const state = await this.options.queue.getJobState(jobId);
    return state !== 'delayed' && !PENDING.has(state);
  }

  private promote(jobId: string): Promise<boolean> {
    return promoteParked(this.options.queue, jobId);
  }
}

/** Delayed → waiting (BullMQ's promote); false when the job is not delayed (any more). */
export async function promoteParked(queue: Queue, jobId: string): Promise<boolean> {
  try {
    await new Job(queue, '', undefined, {}, jobId).promote();
    return true;
  } catch {
    return false;
  }
}
