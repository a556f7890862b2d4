import { DelayedError, Job, JobState, Queue } from 'bullmq';
import type { RedisClient as Redis } from '../../redis';
import type { Conversation } from '../../messages';
import { absorbedKey, LINE_TTL_MS, LineKeys, lineKeys, NextInLine, SequencerRedis, withSequencerScripts } from './sequencer.scripts';

/** How many stale heads one hand-off drops before leaving the rest to the next one. */
const MAX_DROPS = 50;
/**
 * A place claimed at ingest whose job has not taken its turn after this long is checked: its job may be gone
 * (its process died between the claim and the add). Younger ones are trusted: their job takes its turn itself.
 */
const STALE_CLAIM_MS = 3000;
/** States of a job that will still run: a head in one of these takes its turn by itself when it runs. */
const PENDING: ReadonlySet<JobState | 'unknown'> = new Set(['waiting', 'active', 'prioritized', 'waiting-children']);

/** What enter() says of a job whose message a coalesced turn answered already: it is over, with nothing to do. */
export interface Absorbed {
  coalescedInto: string;
}

/** A key written with the end of a turn: under the queue prefix (one slot on a Cluster), expiring after `ttlMs`. */
export interface TurnRecord {
  key: string;
  value: string;
  ttlMs: number;
}

export interface SequencerOptions {
  prefix: string;
  /** The queue whose jobs take turns. */
  queue: Queue;
  /** The worker side's patient connection, for the turn scripts. */
  redis: Redis;
  /**
   * How long a parked job sleeps before it looks again by itself: the safety net for a hand-off lost to a crash.
   * The job lock bounds it: a turn whose process died is recovered after the lock lapses, not before.
   */
  parkMs: number;
  /** The job id a member's ref names (events: the message id's deduplicated job; replies: the ref itself). */
  jobIdOf: (ref: string) => Promise<string | null | undefined>;
}

/**
 * One turn at a time per conversation, in order, across every worker and process on the Redis. Each job takes a
 * place in its conversation's line (at ingest, or when it first runs); a job that is not first in line, or whose
 * conversation is busy, is parked once as a delayed job (holding no worker) and is promoted by the hand-off when
 * the turn before it ends. The only timer is the parked job's own safety net (`parkMs`).
 */
export class TurnSequencer {
  private readonly redis: SequencerRedis;

  constructor(private readonly options: SequencerOptions) {
    this.redis = withSequencerScripts(options.redis);
  }

  /** How long a parked job sleeps before it looks again by itself. */
  get parkMs(): number {
    return this.options.parkMs;
  }

  keys(conversation: Conversation): LineKeys {
    return lineKeys(this.options.prefix, this.options.queue.name, conversation);
  }

  /**
   * Resolves with the turn number when `job` may run now (it holds the turn until `release`). Otherwise parks the
   * job and throws DelayedError, which BullMQ takes as "moved to delayed": rethrow it.
   * `member` is the job's place in line when the caller orders it itself (replies); '' orders by message id.
   * Resolves with Absorbed, holding nothing, when a coalesced turn took the job's message (see TurnCoalescer).
   */
  async enter(job: Job, token: string | undefined, conversation: Conversation, ref: string, member = ''): Promise<number | Absorbed> {
    const keys = this.keys(conversation);
    const absorbed = absorbedKey(this.options.prefix, this.options.queue.name, job.id!);
    const acquire = () => this.redis.seqAcquire(keys.line, keys.turn, keys.counter, absorbed, job.id!, ref, member, Date.now(), LINE_TTL_MS);
    let parkFor = this.options.parkMs;
    let mine: string;
    let nextInLine: boolean;
    for (let drops = 0; ;) {
      const [granted, turnOrMember, head, owner, since, headParked, headClaim] = await acquire();
      if (granted === 1) return Number(turnOrMember);
      if (granted === 2) return { coalescedInto: String(turnOrMember) };
      mine = String(turnOrMember);
      nextInLine = head === mine;
      if (owner !== null) {
        // The turn is held. Only a holder older than the safety net is checked: it may have died after finishing.
        if (Date.now() - Number(since) < this.options.parkMs || !(await this.isOver(String(owner)))) break;
        await this.handOff(keys, await this.redis.seqRelease(keys.line, keys.turn, String(owner)));
        continue;
      }
      // Nobody holds the turn but another member heads the line: wake it, or drop it if its job is gone.
      const next: NextInLine = [String(head), headParked as string | null, headClaim as string | null];
      // A job taken up again (its safety net, mostly) also checks a head marked woken (see wake()).
      const outcome = await this.wake(next, job.attemptsStarted > 1);
      if (outcome === 'pending' && headParked === null && headClaim) {
        // A fresh place whose job has not been taken up yet: it will hand the turn on, or, if its job never comes,
        // be found stale when this job looks again.
        parkFor = Math.min(parkFor, STALE_CLAIM_MS - (Date.now() - Number(String(headClaim).split('|')[1])) + 50);
      }
      if (outcome !== 'gone' || ++drops > MAX_DROPS) break;
      await this.redis.seqDrop(keys.line, keys.turn, String(head), refOf(String(head)));
    }
    await job.moveToDelayed(Date.now() + Math.max(parkFor, 1), token);
    if (nextInLine) {
      // Next in line: the turn may have been handed over while this job was being parked; then it takes it and
      // wakes itself. (A job further back was marked parked by acquire: see wake() for the rare race.)
      const [granted] = await this.redis.seqParked(keys.line, keys.turn, keys.counter, job.id!, mine, ref, Date.now(), LINE_TTL_MS);
      if (granted === 1) await this.promote(job.id!);
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
    const keys = this.keys(conversation);
    const pairs = places.flatMap(({ member, jobId }) => [member, jobId]);
    const [granted] = mayGrant ? await this.redis.seqClaimPlaces(keys.line, keys.turn, keys.counter, LINE_TTL_MS, Date.now(), ...pairs) : [0];
    await add(granted === 1);
    const parked = granted === 1 ? pairs.slice(2) : pairs;
    if (parked.length > 0) await this.handOff(keys, await this.redis.seqClaimParked(keys.line, keys.turn, LINE_TTL_MS, ...parked));
  }

  /**
   * Ends `jobId`'s turn (completed, or failed for good) and wakes the next in line. Idempotent. With `record`, that
   * key is set in the same step, so the turn never ends without it (a sent reply's record).
   */
  async release(conversation: Conversation, jobId: string, record?: TurnRecord): Promise<void> {
    const keys = this.keys(conversation);
    const next = record
      ? await this.redis.seqReleaseRecording(keys.line, keys.turn, record.key, jobId, record.value, record.ttlMs)
      : await this.redis.seqRelease(keys.line, keys.turn, jobId);
    await this.handOff(keys, next);
  }

  /**
   * Promotes jobs parked out of line (a coalesced turn's absorbed messages), so that they end now rather than when
   * their safety net lapses; one still being parked is promoted once it is. Best effort: the safety net remains.
   */
  async wakeParked(jobIds: string[]): Promise<void> {
    await Promise.all(
      jobIds.map(async (jobId) => {
        if (await this.promote(jobId)) return;
        if ((await this.options.queue.getJobState(jobId)) === 'active') this.promoteOnceParked(jobId);
      }),
    );
  }

  private async handOff(keys: LineKeys, next: NextInLine): Promise<void> {
    for (let drops = 0; next && drops <= MAX_DROPS; drops++) {
      if ((await this.wake(next)) !== 'gone') return;
      next = await this.redis.seqDrop(keys.line, keys.turn, next[0], refOf(next[0]));
    }
  }

  /**
   * Makes the head's job runnable: 'woken' when it was parked and is promoted now, 'pending' when it will run by
   * itself (waiting to be taken up, or still being parked: it looks once more after parking), 'gone' when no job
   * will run it.
   */
  private async wake([member, parked, claim]: NonNullable<NextInLine>, checkWoken = false): Promise<'woken' | 'pending' | 'gone'> {
    if (parked?.startsWith('~')) {
      // Woken already by someone else: it runs, or its own safety net wakes it if that someone died meanwhile.
      // On a safety net, look closer: a Redis failover can keep the waking and lose the job's taking and ending of
      // the turn, leaving a head whose job is over and nobody to hand on.
      if (!checkWoken) return 'pending';
      return (await this.isOver(parked.slice(1))) ? 'gone' : 'pending';
    }
    if (parked && (await this.promote(parked))) return 'woken';
    const fresh = !!claim && Date.now() - Number(claim.split('|')[1]) < STALE_CLAIM_MS;
    let jobId = parked;
    if (!jobId && claim) {
      if (fresh) return 'pending';
      jobId = claim.split('|')[0];
    }
    jobId ??= (await this.options.jobIdOf(refOf(member))) ?? null;
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

  /** A few short tries, then the job's own safety net. */
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

/** The ref a member names (after the order key). */
export const refOf = (member: string) => member.slice(member.indexOf(':') + 1);

/** A place in line ordered by the caller: by turn number, then index (replies: the turn that said it, then its order). */
export const orderedMember = (turn: number, index: number, ref: string) =>
  `${String(turn).padStart(16, '0')}.${String(index).padStart(3, '0')}:${ref}`;
