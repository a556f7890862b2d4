import { join } from 'node:path';
import type { Conversation } from '../../messages';
import { conversationKey } from '../../messages';
import { withLuaCommands, type RedisClient } from '../../redis';

/**
 * A conversation's line in Redis, per queue and conversation (all keys under the queue prefix, so one hash tag holds
 * them in Redis Cluster). Only this library reads or writes them:
 * - `line`: a sorted set of the waiting members, every score 0, so Redis orders them by the member's bytes;
 * - `turn`: a hash with the running turn (`owner` = its job id, `n` = its turn number, `since`, `m` = its member), the
 *   job id of each parked member (`p:<member>`, `~<job id>` once woken), the job id and claim time of each member
 *   claimed at ingest (`j:<member>` = `<job id>|<ms>`), and the arrival member of each non-numeric message id (`a:<id>`);
 * - `counter`: one number per queue, never reset: turn numbers and arrivals, both in the order Redis saw them.
 * A member is `<order key>:<ref>`: the ref names the job (the message id in `events`, the job id in `replies`).
 * Empty lines and hashes vanish by themselves; the TTL only cleans up after crashes.
 * A coalesced turn (events) adds, each with the line's TTL: `batch:<job id>` (the messages that turn absorbed, as JSON,
 * recorded before its responder runs) and `absorbed:<job id>` (on an absorbed message's job: the message id of the
 * turn that answered it).
 */
export interface LineKeys {
  line: string;
  turn: string;
  counter: string;
}

/** Lines and turn records of conversations gone quiet expire (they are empty, and so deleted, in normal use). */
export const LINE_TTL_MS = 2 * 24 * 3600 * 1000;

export function lineKeys(prefix: string, queue: string, conversation: Conversation): LineKeys {
  const base = `${prefix}:${queue}`;
  const key = conversationKey(conversation);
  return { line: `${base}:line:${key}`, turn: `${base}:turn:${key}`, counter: `${base}:turns` };
}

/** Marks the job of a message a coalesced turn answered; its own run then ends at once. */
export const absorbedKey = (prefix: string, queue: string, jobId: string) => `${prefix}:${queue}:absorbed:${jobId}`;

/** The batch a coalescing job absorbed, recorded before its responder runs, so that every run of it answers the same. */
export const batchKey = (prefix: string, queue: string, jobId: string) => `${prefix}:${queue}:batch:${jobId}`;

/** The ref a member names (after the order key). */
export const refOf = (member: string) => member.slice(member.indexOf(':') + 1);

/** A place in line ordered by the caller: by turn number, then index (replies: the turn that said it, then its order). */
export const orderedMember = (turn: number, index: number, ref: string) =>
  `${String(turn).padStart(16, '0')}.${String(index).padStart(3, '0')}:${ref}`;

/** The next member in line when nobody holds the turn: its parked job (woken: someone promoted it already) and its ingest claim. */
export interface NextInLine {
  member: string;
  parked?: { jobId: string; woken: boolean };
  claim?: { jobId: string; at: number };
}

/** What enterLine answers. */
export type LineEntry =
  | { kind: 'granted'; turn: number }
  | { kind: 'absorbed'; into: string }
  | { kind: 'held'; member: string; head: string; owner: string; since: number }
  | { kind: 'free'; member: string; next: NextInLine };

/**
 * What claimMessages learns of one message's conversation; `member` when this call added its place (to take back).
 * `interruptible`: busy with a turn whose responder answers a new message together with its own (it is told at once).
 */
export interface IngestClaim {
  member?: string;
  state: 'free' | 'busy' | 'parked-head' | 'interruptible';
}

/** What peekBehind answers. */
export type Behind = { kind: 'recorded'; batch: string } | { kind: 'not-holding' } | { kind: 'waiting'; members: string[]; jobIds: string[] };

type Raw = string | number | null;

/** The scripts as ioredis sends them (commands/*.lua), each answer decoded once below. */
interface RawLineCommands {
  claimMessages(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Promise<Raw[]>;
  claimPlaces(line: string, turn: string, counter: string, ttlMs: number, now: number, ...membersAndJobIds: string[]): Promise<Raw[]>;
  claimParked(line: string, turn: string, ttlMs: number, ...membersAndJobIds: string[]): Promise<Raw[] | null>;
  enterLine(
    line: string,
    turn: string,
    counter: string,
    absorbed: string,
    jobId: string,
    ref: string,
    member: string,
    now: number,
    ttlMs: number,
  ): Promise<Raw[]>;
  markParked(line: string, turn: string, counter: string, jobId: string, member: string, ref: string, now: number, ttlMs: number): Promise<Raw[]>;
  releaseTurn(line: string, turn: string, jobId: string): Promise<Raw[] | null>;
  releaseTurnRecording(line: string, turn: string, record: string, jobId: string, value: string, ttlMs: number): Promise<Raw[] | null>;
  dropMember(line: string, turn: string, member: string, ref: string): Promise<Raw[] | null>;
  peekBehind(line: string, turn: string, batch: string, jobId: string, limit: number, more: string): Promise<Raw[]>;
  absorbBehind(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Promise<string | null>;
}

const COMMANDS_DIR = join(__dirname, 'commands');

/** A key written with the end of a turn: under the queue prefix (one slot on a Cluster), expiring after `ttlMs`. */
export interface TurnRecord {
  key: string;
  value: string;
  ttlMs: number;
}

/** A message to claim a place for at ingest. */
export interface IngestMessage {
  conversation: Conversation;
  messageId: string;
  jobId: string;
  /** Its job is stored delayed (parked). */
  parked?: boolean;
}

/**
 * The line's scripts on one connection, with typed answers. Every script of a line runs through here: its keys, hash
 * fields, markers and answer slots are known nowhere else.
 */
export class LineCommands {
  private readonly redis: RedisClient & RawLineCommands;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    private readonly queue: string,
  ) {
    this.redis = withLuaCommands<RawLineCommands>(redis, COMMANDS_DIR);
  }

  keys(conversation: Conversation): LineKeys {
    return lineKeys(this.prefix, this.queue, conversation);
  }

  async claimMessages(messages: IngestMessage[], now = Date.now()): Promise<IngestClaim[]> {
    const keys: string[] = [`${this.prefix}:${this.queue}:turns`];
    const args: Array<string | number> = [now];
    for (const { conversation, messageId, jobId, parked = false } of messages) {
      const { line, turn } = this.keys(conversation);
      keys.push(line, turn);
      args.push(messageId, jobId, parked ? 1 : 0);
    }
    const answer = await this.redis.claimMessages(keys.length, ...keys, ...args);
    const claims: IngestClaim[] = [];
    for (let i = 0; i < answer.length; i += 2) {
      const state = Number(answer[i + 1]);
      const named = ['free', 'busy', 'parked-head', 'interruptible'] as const;
      claims.push({ member: answer[i] === null ? undefined : String(answer[i]), state: named[state] ?? 'busy' });
    }
    return claims;
  }

  /** Places in line for jobs ordered by the caller: the turn number when the first one holds the turn now. */
  async claimPlaces(keys: LineKeys, places: Array<{ member: string; jobId: string }>): Promise<number | undefined> {
    const pairs = places.flatMap(({ member, jobId }) => [member, jobId]);
    const [granted, turn] = await this.redis.claimPlaces(keys.line, keys.turn, keys.counter, LINE_TTL_MS, Date.now(), ...pairs);
    return Number(granted) === 1 ? Number(turn) : undefined;
  }

  /**
   * Marks these jobs parked; the one to wake: a job of these that holds the turn already (an earlier run was granted
   * it, then failed before adding the job), as a parked head, else the next in line if nobody holds the turn.
   */
  async claimParked(keys: LineKeys, places: Array<{ member: string; jobId: string }>): Promise<NextInLine | null> {
    const pairs = places.flatMap(({ member, jobId }) => [member, jobId]);
    const answer = await this.redis.claimParked(keys.line, keys.turn, LINE_TTL_MS, ...pairs);
    // Two slots (member, job id): a job of these holding the turn already; three: the next in line.
    if (answer && answer.length === 2) return { member: String(answer[0]), parked: { jobId: String(answer[1]), woken: false } };
    return nextInLine(answer);
  }

  async enter(keys: LineKeys, absorbed: string, jobId: string, ref: string, member: string): Promise<LineEntry> {
    const [state, a, head, owner, since, parked, claim] = await this.redis.enterLine(
      keys.line,
      keys.turn,
      keys.counter,
      absorbed,
      jobId,
      ref,
      member,
      Date.now(),
      LINE_TTL_MS,
    );
    if (Number(state) === 1) return { kind: 'granted', turn: Number(a) };
    if (Number(state) === 2) return { kind: 'absorbed', into: String(a) };
    if (owner !== null) return { kind: 'held', member: String(a), head: String(head), owner: String(owner), since: Number(since) };
    return { kind: 'free', member: String(a), next: nextInLine([head, parked, claim])! };
  }

  /** For a job just parked: the turn number when it was handed over meanwhile, else undefined (marked parked). */
  async markParked(keys: LineKeys, jobId: string, member: string, ref: string): Promise<number | undefined> {
    const [granted, turn] = await this.redis.markParked(keys.line, keys.turn, keys.counter, jobId, member, ref, Date.now(), LINE_TTL_MS);
    return Number(granted) === 1 ? Number(turn) : undefined;
  }

  async release(keys: LineKeys, jobId: string, record?: TurnRecord): Promise<NextInLine | null> {
    return nextInLine(
      record
        ? await this.redis.releaseTurnRecording(keys.line, keys.turn, record.key, jobId, record.value, record.ttlMs)
        : await this.redis.releaseTurn(keys.line, keys.turn, jobId),
    );
  }

  async drop(keys: LineKeys, member: string, ref = refOf(member)): Promise<NextInLine | null> {
    return nextInLine(await this.redis.dropMember(keys.line, keys.turn, member, ref));
  }

  /** The turn `jobId` holds takes interruptions: a message arriving meanwhile finds it so at ingest (claimMessages). */
  async markInterruptible(keys: LineKeys, jobId: string): Promise<void> {
    await this.redis.hset(keys.turn, 'i', jobId);
  }

  /** The job id of the turn running in this conversation's line, if one is. */
  async holder(keys: LineKeys): Promise<string | undefined> {
    return (await this.redis.hget(keys.turn, 'owner')) ?? undefined;
  }

  /** `more`: past the batch recorded already (a turn taking interruptions). */
  async peekBehind(keys: LineKeys, jobId: string, limit: number, more = false): Promise<Behind> {
    const [state, ...found] = await this.redis.peekBehind(
      keys.line,
      keys.turn,
      batchKey(this.prefix, this.queue, jobId),
      jobId,
      limit,
      more ? '1' : '0',
    );
    if (Number(state) === 1) return { kind: 'recorded', batch: String(found[0]) };
    if (Number(state) === 2) return { kind: 'not-holding' };
    return { kind: 'waiting', members: found.filter((_, i) => i % 2 === 0).map(String), jobIds: found.filter((_, i) => i % 2 === 1).map(String) };
  }

  /**
   * Records the batch (JSON entries) of the turn `jobId` holds; the batch recorded, or null when it holds none. `more`:
   * added to the batch recorded already (a turn taking interruptions).
   */
  async absorb(
    keys: LineKeys,
    jobId: string,
    messageId: string,
    taken: Array<{ member: string; jobId: string; entry: string }>,
    more = false,
  ): Promise<string | null> {
    const absorbed = taken.map((t) => absorbedKey(this.prefix, this.queue, t.jobId));
    const keyList = [keys.line, keys.turn, batchKey(this.prefix, this.queue, jobId), ...absorbed];
    const args = [jobId, LINE_TTL_MS, messageId, more ? '1' : '0', ...taken.flatMap((t) => [t.member, t.entry])];
    return this.redis.absorbBehind(keyList.length, ...keyList, ...args);
  }

  absorbedKey(jobId: string): string {
    return absorbedKey(this.prefix, this.queue, jobId);
  }
}

/** The next-in-line answer of the scripts (see includes/nextIfFree.lua): the '~' woken marker is read here only. */
function nextInLine(answer: Raw[] | null): NextInLine | null {
  if (!answer) return null;
  const [member, parked, claim] = answer;
  const next: NextInLine = { member: String(member) };
  if (typeof parked === 'string') next.parked = parked.startsWith('~') ? { jobId: parked.slice(1), woken: true } : { jobId: parked, woken: false };
  if (typeof claim === 'string') {
    const bar = claim.lastIndexOf('|');
    next.claim = { jobId: claim.slice(0, bar), at: Number(claim.slice(bar + 1)) };
  }
  return next;
}
