import type { RedisClient as Redis } from '../../redis';
import { Conversation, conversationKey } from '../../messages';

/**
 * The conversation line in Redis, per queue and conversation (all keys under the queue prefix, so one hash
 * tag holds them in Redis Cluster):
 * - `line`: a sorted set of the waiting members, every score 0, so Redis orders them by the member's bytes;
 * - `turn`: a hash with the running turn (`owner` = its job id, `n` = its turn number, `since`, `m` = its member), the job id of
 *   each parked member (`p:<member>`, `~<job id>` once woken), the job id and claim time of each member claimed at ingest
 *   (`j:<member>` = `<job id>|<ms>`), and the arrival member of each non-numeric message id (`a:<id>`);
 * - `counter`: one number per queue, never reset: turn numbers and arrivals, both in the order Redis saw them.
 * A member is `<order key>:<ref>`: the ref names the job (the message id in `events`, the job id in `replies`).
 * Empty lines and hashes vanish by themselves; TTL only cleans up after crashes.
 * A coalesced turn (events) adds, each with the line's TTL: `batch:<job id>` (the messages that turn absorbed, as
 * JSON, recorded before its responder runs) and `absorbed:<job id>` (the absorbed message's job: the message id of
 * the turn that answered it).
 */

/** Lines and turn records of conversations gone quiet expire (they are empty, and so deleted, in normal use). */
export const LINE_TTL_MS = 2 * 24 * 3600 * 1000;

export interface LineKeys {
  line: string;
  turn: string;
  counter: string;
}

/** Marks the job of a message a coalesced turn answered (see seqAbsorb); its own run then ends at once. */
export const absorbedKey = (prefix: string, queue: string, jobId: string) => `${prefix}:${queue}:absorbed:${jobId}`;

/** The batch a coalescing job absorbed, recorded before its responder runs, so that every run of it answers the same. */
export const batchKey = (prefix: string, queue: string, jobId: string) => `${prefix}:${queue}:batch:${jobId}`;

/** The arguments of seqClaimMessages for these messages of one queue (its number of keys first). */
export function claimMessagesArgs(
  prefix: string,
  queue: string,
  messages: Array<{ conversation: Conversation; messageId: string; jobId: string; parked?: boolean }>,
  now = Date.now(),
): [numberOfKeys: number, ...keysThenArgs: Array<string | number>] {
  const keys: string[] = [`${prefix}:${queue}:turns`];
  const args: Array<string | number> = [now];
  for (const { conversation, messageId, jobId, parked = false } of messages) {
    const { line, turn } = lineKeys(prefix, queue, conversation);
    keys.push(line, turn);
    args.push(messageId, jobId, parked ? 1 : 0);
  }
  return [keys.length, ...keys, ...args];
}

/** What seqClaimMessages learns of a message's conversation. */
export const FREE = 0;
export const BUSY = 1;
export const PARKED_HEAD = 2;

/** One message's answer from seqClaimMessages: the member its call added (to take back), if any, and what it learned. */
export interface ClaimedPlace {
  member?: string;
  state: typeof FREE | typeof BUSY | typeof PARKED_HEAD;
}

/** seqClaimMessages' flat answer (member or false, state; per message) as one place per message. */
export function claimedPlaces(answer: Array<string | number | null>): ClaimedPlace[] {
  const places: ClaimedPlace[] = [];
  for (let i = 0; i < answer.length; i += 2) {
    places.push({ member: answer[i] === null ? undefined : String(answer[i]), state: Number(answer[i + 1]) as ClaimedPlace['state'] });
  }
  return places;
}

/** The keys of one conversation's line in one queue. */
export function lineKeys(prefix: string, queue: string, conversation: Conversation): LineKeys {
  const base = `${prefix}:${queue}`;
  const key = conversationKey(conversation);
  return { line: `${base}:line:${key}`, turn: `${base}:turn:${key}`, counter: `${base}:turns` };
}

// A message's member: numeric ids by value at any length (length first, then digits: lexical order is numeric
// order), other ids by the arrival Redis recorded (the counter), and after every numeric one.
const MEMBER_OF_MESSAGE = `
local function memberOf(turnKey, counterKey, ref)
  if string.find(ref, '^%d+$') then
    local digits = string.gsub(ref, '^0+', '')
    if digits == '' then digits = '0' end
    return '0' .. string.format('%03d', #digits) .. digits .. ':' .. ref
  end
  local known = redis.call('HGET', turnKey, 'a:' .. ref)
  if known then return known end
  local member = '1' .. string.format('%016d', redis.call('INCR', counterKey)) .. ':' .. ref
  redis.call('HSET', turnKey, 'a:' .. ref, member)
  return member
end
`;

// A parked member's job id, for the caller to promote; marked woken ('~' before the id) so that nobody else
// promotes it again: later callers get '~<job id>' and leave it be.
const TAKE_PARKED = `
local function takeParked(turn, member)
  local parked = redis.call('HGET', turn, 'p:' .. member)
  if parked and string.sub(parked, 1, 1) ~= '~' then redis.call('HSET', turn, 'p:' .. member, '~' .. parked) end
  return parked
end
`;

// The next member in line, its parked job id (see takeParked) and its ingest claim, when nobody holds the turn.
const NEXT_IF_FREE = `${TAKE_PARKED}
local function nextIfFree(line, turn)
  if redis.call('HEXISTS', turn, 'owner') == 1 then return false end
  local head = redis.call('ZRANGE', line, 0, 0)[1]
  if not head then return false end
  return {head, takeParked(turn, head), redis.call('HGET', turn, 'j:' .. head)}
end
`;

// Gives the turn to a job whose member heads the line (and leaves it): {1, turn number}.
const GRANT = `
local function grant(line, turn, counter, jobId, member, ref, now, ttl)
  redis.call('ZREM', line, member)
  local n = redis.call('INCR', counter)
  redis.call('HSET', turn, 'owner', jobId, 'n', n, 'since', now, 'm', member)
  redis.call('HDEL', turn, 'p:' .. member, 'j:' .. member, 'a:' .. ref)
  redis.call('PEXPIRE', turn, ttl)
  redis.call('PEXPIRE', line, ttl)
  return {1, tostring(n)}
end
`;

// Ends the turn of job ARGV[1] (if it still holds it) on line KEYS[1], turn KEYS[2]; returns the next in line, if free.
const RELEASE = `
if redis.call('HGET', KEYS[2], 'owner') == ARGV[1] then redis.call('HDEL', KEYS[2], 'owner', 'n', 'since', 'm') end
return nextIfFree(KEYS[1], KEYS[2])`;

export const SEQUENCER_SCRIPTS = {
  /**
   * KEYS counter, line, turn, line, turn… · ARGV now, then per message: message id, job id, parked (1 when the
   * caller stores its job delayed). Takes each message's place in its conversation's line (idempotent; one call for
   * every message of an event-loop turn). For each, two values: the member when this call added it (so the caller
   * can take it back if the store fails or turns out a duplicate), else false; and what the caller learns: 0 the
   * conversation was free, 1 busy (a turn held, or a member ahead: the producer parks its next message at once), 2
   * the message is parked but heads a free line, marked woken: the caller promotes its job once it is stored.
   * A parked message is marked parked at once (its job is stored right after this call), for the hand-off to
   * promote; a hand-off that comes before the job is stored retries shortly (TurnSequencer.wake).
   * No expiry is set here, on the hot path: each grant refreshes it.
   */
  seqClaimMessages: {
    numberOfKeys: -1,
    lua: `${MEMBER_OF_MESSAGE}
local added = {}
for i = 2, #KEYS, 2 do
  local line, turn = KEYS[i], KEYS[i + 1]
  local at = 2 + (i - 2) / 2 * 3
  local jobId = ARGV[at + 1]
  local member = memberOf(turn, KEYS[1], ARGV[at])
  local busy = redis.call('HEXISTS', turn, 'owner') == 1
  if redis.call('ZADD', line, 'NX', 0, member) == 1 then
    redis.call('HSETNX', turn, 'j:' .. member, jobId .. '|' .. ARGV[1])
    busy = busy or redis.call('ZRANK', line, member) ~= 0
    added[#added + 1] = member
    if ARGV[at + 2] == '1' then
      redis.call('HSET', turn, 'p:' .. member, busy and jobId or '~' .. jobId)
      added[#added + 1] = busy and 1 or 2
    else
      added[#added + 1] = busy and 1 or 0
    end
  else
    added[#added + 1] = false
    added[#added + 1] = 1
  end
end
return added`,
  },

  /**
   * KEYS line, turn, counter · ARGV ttlMs, now, member, job id, member, job id… Takes these places in line
   * (idempotent; a job that holds the turn already is skipped), each marked claimed like a message at ingest.
   * When nobody holds the turn and the first member heads the line, its job gets the turn at once: {1, turn
   * number} (the caller adds it runnable); else {0} (the caller adds the jobs parked, then marks them).
   */
  seqClaimPlaces: {
    numberOfKeys: 3,
    lua: `${GRANT}
local line, turn = KEYS[1], KEYS[2]
local owner = redis.call('HGET', turn, 'owner')
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == owner then return {1, redis.call('HGET', turn, 'n')} end
  if redis.call('ZADD', line, 'NX', 0, ARGV[i]) == 1 then
    redis.call('HSETNX', turn, 'j:' .. ARGV[i], ARGV[i + 1] .. '|' .. ARGV[2])
  end
end
redis.call('PEXPIRE', line, ARGV[1])
redis.call('PEXPIRE', turn, ARGV[1])
if not owner and redis.call('ZRANGE', line, 0, 0)[1] == ARGV[3] then
  return grant(line, turn, KEYS[3], ARGV[4], ARGV[3], '', ARGV[2], ARGV[1])
end
return {0}`,
  },

  /**
   * KEYS line, turn · ARGV ttlMs, member, job id, member, job id… Marks these places' jobs parked (added
   * delayed, so no worker takes them up before their turn); returns the next in line, if nobody holds the turn,
   * or the one of them that holds it already (an earlier run was granted the turn, then failed before adding it).
   */
  seqClaimParked: {
    numberOfKeys: 2,
    lua: `${NEXT_IF_FREE}
local owner = redis.call('HGET', KEYS[2], 'owner')
local ours
for i = 2, #ARGV, 2 do
  if owner == ARGV[i + 1] then
    -- It holds the turn already: it runs at once (the caller promotes it), out of line.
    ours = {ARGV[i], ARGV[i + 1]}
  else
    redis.call('ZADD', KEYS[1], 'NX', 0, ARGV[i])
    redis.call('HSET', KEYS[2], 'p:' .. ARGV[i], ARGV[i + 1])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
if ours then return ours end
return nextIfFree(KEYS[1], KEYS[2])`,
  },

  /**
   * KEYS line, turn, counter, absorbed · ARGV job id, ref, member ('' = the message's), now, ttlMs.
   * {2, message id} when a coalesced turn answered this job's message (it took it out of line). The turn, when this job holds it or heads the line while nobody does: {1, turn number}. Otherwise (and marked
   * parked when it is not next in line) {0, member, head, owner, since} while the turn is held, or {0, member, head, false, false, head's parked job
   * id, head's ingest claim} while it is free. A job not in line (a replay, or a place dropped as stale) takes its
   * place again first.
   */
  seqAcquire: {
    numberOfKeys: 4,
    lua: `${MEMBER_OF_MESSAGE}${GRANT}${TAKE_PARKED}
local line, turn, counter = KEYS[1], KEYS[2], KEYS[3]
local jobId, ref = ARGV[1], ARGV[2]
local owner = redis.call('HGET', turn, 'owner')
if owner == jobId then return {1, redis.call('HGET', turn, 'n')} end
local member = ARGV[3]
if member == '' then member = memberOf(turn, counter, ref) end
-- An absorbed message's job is over: {2, the message id that answered it}. Asked before the line, which may hold
-- its place again (a redelivery's claim, taken back once its add turns out a duplicate).
local into = redis.call('GET', KEYS[4])
if into then
  redis.call('ZREM', line, member)
  redis.call('HDEL', turn, 'p:' .. member, 'j:' .. member, 'a:' .. ref)
  return {2, into}
end
-- Not in line (a replay, or a stale place dropped): it takes its place again.
redis.call('ZADD', line, 'NX', 0, member)
local head = redis.call('ZRANGE', line, 0, 0)[1]
if not owner and head == member then return grant(line, turn, counter, jobId, member, ref, ARGV[4], ARGV[5]) end
-- Not next in line: marked parked now (the caller parks it at once), since it cannot be handed the turn before
-- the members ahead of it have had theirs.
if head ~= member then redis.call('HSET', turn, 'p:' .. member, jobId) end
if owner then return {0, member, head, owner, redis.call('HGET', turn, 'since')} end
return {0, member, head, false, false, takeParked(turn, head), redis.call('HGET', turn, 'j:' .. head)}`,
  },

  /**
   * KEYS line, turn, counter · ARGV job id, member, ref, now, ttlMs. For a job just parked (delayed): the turn
   * when it was handed over meanwhile ({1, turn number}; the caller promotes it), else marks it parked, for the
   * hand-off to promote ({0}). Marked only once delayed, so a hand-off never finds a parked job still running.
   */
  seqParked: {
    numberOfKeys: 3,
    lua: `${GRANT}
local line, turn = KEYS[1], KEYS[2]
if redis.call('HEXISTS', turn, 'owner') == 0 and redis.call('ZRANGE', line, 0, 0)[1] == ARGV[2] then
  return grant(line, turn, KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
end
redis.call('HSET', turn, 'p:' .. ARGV[2], ARGV[1])
return {0}`,
  },

  /** KEYS line, turn · ARGV job id. Ends that job's turn (if it still holds it); the next in line, if free. */
  seqRelease: {
    numberOfKeys: 2,
    lua: `${NEXT_IF_FREE}${RELEASE}`,
  },

  /**
   * KEYS line, turn, record · ARGV job id, value, ttlMs. seqRelease, with a fact the turn ends on written in the
   * same step (a sent reply's record). allow-oom: the fact is written even when Redis refuses other writes.
   */
  seqReleaseRecording: {
    numberOfKeys: 3,
    lua: `#!lua flags=allow-oom
${NEXT_IF_FREE}
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
${RELEASE}`,
  },

  /** KEYS line, turn · ARGV member, ref. Drops a member whose job is gone or over; the next in line, if free. */
  seqDrop: {
    numberOfKeys: 2,
    lua: `${NEXT_IF_FREE}
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], 'p:' .. ARGV[1], 'j:' .. ARGV[1], 'a:' .. ARGV[2])
return nextIfFree(KEYS[1], KEYS[2])`,
  },

  /**
   * KEYS line, turn, batch · ARGV job id, limit. For a coalescing turn: {1, batch JSON} when this job recorded
   * its batch already (a retry, a stalled re-run, a replay); {2} when it does not hold the turn; else {0, member,
   * job id, …}: up to `limit` members right behind its own, in line order, each with its job id (parked, else
   * claimed at ingest), stopping at one whose job is not known yet. Nothing is changed: seqAbsorb takes them.
   */
  seqBatchPeek: {
    numberOfKeys: 3,
    lua: `
local line, turn = KEYS[1], KEYS[2]
local recorded = redis.call('GET', KEYS[3])
if recorded then return {1, recorded} end
if redis.call('HGET', turn, 'owner') ~= ARGV[1] then return {2} end
local mine = redis.call('HGET', turn, 'm')
local found = {0}
if not mine then return found end
for _, member in ipairs(redis.call('ZRANGEBYLEX', line, '(' .. mine, '+', 'LIMIT', 0, tonumber(ARGV[2]))) do
  local jobId = redis.call('HGET', turn, 'p:' .. member)
  if jobId then
    jobId = string.gsub(jobId, '^~', '')
  else
    local claim = redis.call('HGET', turn, 'j:' .. member)
    if claim then jobId = string.match(claim, '^(.*)|') end
  end
  if not jobId then break end
  found[#found + 1] = member
  found[#found + 1] = jobId
end
return found`,
  },

  /**
   * KEYS line, turn, batch, absorbed… (one per member) · ARGV job id, ttlMs, message id, member, entry, member,
   * entry… Records the batch of a coalescing turn before its responder runs: the given members that still follow
   * its own, without a gap, leave the line, their jobs are marked absorbed (KEYS) by this message id, and their
   * entries (JSON) are recorded as the batch, which is returned. A batch recorded already is returned as it is;
   * false (and nothing recorded) when this job does not hold the turn.
   */
  seqAbsorb: {
    numberOfKeys: -1,
    lua: `
local line, turn = KEYS[1], KEYS[2]
local recorded = redis.call('GET', KEYS[3])
if recorded then return recorded end
if redis.call('HGET', turn, 'owner') ~= ARGV[1] then return false end
local mine = redis.call('HGET', turn, 'm')
local count = #KEYS - 3
local following = {}
if mine and count > 0 then following = redis.call('ZRANGEBYLEX', line, '(' .. mine, '+', 'LIMIT', 0, count) end
local taken = {}
for i = 1, count do
  local member = ARGV[2 + 2 * i]
  if following[i] ~= member then break end
  local ref = string.sub(member, string.find(member, ':', 1, true) + 1)
  redis.call('ZREM', line, member)
  redis.call('HDEL', turn, 'p:' .. member, 'j:' .. member, 'a:' .. ref)
  redis.call('SET', KEYS[3 + i], ARGV[3], 'PX', ARGV[2])
  taken[#taken + 1] = ARGV[3 + 2 * i]
end
local batch = '[' .. table.concat(taken, ',') .. ']'
redis.call('SET', KEYS[3], batch, 'PX', ARGV[2])
return batch`,
  },
} as const;

/** The next member in line when the turn is free: [member, parked job id, ingest claim `<job id>|<ms>`]. */
export type NextInLine = [member: string, parkedJobId: string | null, claim: string | null] | null;

/** The scripts as ioredis commands (EVALSHA, with EVAL when Redis does not know the script yet). */
export interface SequencerCommands {
  seqClaimMessages(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Promise<Array<string | number | null>>;
  seqClaimPlaces(
    line: string,
    turn: string,
    counter: string,
    ttlMs: number,
    now: number,
    ...membersAndJobIds: string[]
  ): Promise<Array<string | number>>;
  seqClaimParked(line: string, turn: string, ttlMs: number, ...membersAndJobIds: string[]): Promise<NextInLine>;
  seqAcquire(
    line: string,
    turn: string,
    counter: string,
    absorbed: string,
    jobId: string,
    ref: string,
    member: string,
    now: number,
    ttlMs: number,
  ): Promise<Array<string | number | null>>;
  seqParked(
    line: string,
    turn: string,
    counter: string,
    jobId: string,
    member: string,
    ref: string,
    now: number,
    ttlMs: number,
  ): Promise<Array<string | number>>;
  seqRelease(line: string, turn: string, jobId: string): Promise<NextInLine>;
  seqReleaseRecording(line: string, turn: string, record: string, jobId: string, value: string, ttlMs: number): Promise<NextInLine>;
  seqDrop(line: string, turn: string, member: string, ref: string): Promise<NextInLine>;
  seqBatchPeek(line: string, turn: string, batch: string, jobId: string, limit: number): Promise<Array<string | number>>;
  seqAbsorb(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Promise<string | null>;
}

export type SequencerRedis = Redis & SequencerCommands;

/** Registers the scripts on a client once; returns it typed with them. */
export function withSequencerScripts(redis: Redis): SequencerRedis {
  for (const [name, { numberOfKeys, lua }] of Object.entries(SEQUENCER_SCRIPTS)) {
    // numberOfKeys -1: the caller passes it first (a variable number of keys).
    if (!(name in redis)) redis.defineCommand(name, numberOfKeys < 0 ? { lua } : { numberOfKeys, lua });
  }
  return redis as SequencerRedis;
}
