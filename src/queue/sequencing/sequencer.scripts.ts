import type { Redis } from 'ioredis';
import { Conversation, conversationKey } from '../../messages';

/**
 * The conversation line in Redis, per queue and conversation (all keys under the queue prefix, so one hash
 * tag holds them in Redis Cluster):
 * - `line`: a sorted set of the waiting members, every score 0, so Redis orders them by the member's bytes;
 * - `turn`: a hash with the running turn (`owner` = its job id, `n` = its turn number, `since`), the job id of
 *   each parked member (`p:<member>`), and the arrival member of each non-numeric message id (`a:<id>`);
 * - `counter`: one number per queue, never reset: turn numbers and arrivals, both in the order Redis saw them.
 * A member is `<order key>:<ref>`: the ref names the job (the message id in `events`, the job id in `replies`).
 * Empty lines and hashes vanish by themselves; TTL only cleans up after crashes.
 */

/** Lines and turn records of conversations gone quiet expire (they are empty, and so deleted, in normal use). */
export const LINE_TTL_MS = 2 * 24 * 3600 * 1000;

export interface LineKeys {
  line: string;
  turn: string;
  counter: string;
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

// The next member in line and its parked job id, when nobody holds the turn.
const NEXT_IF_FREE = `
local function nextIfFree(line, turn)
  if redis.call('HEXISTS', turn, 'owner') == 1 then return false end
  local head = redis.call('ZRANGE', line, 0, 0)[1]
  if not head then return false end
  return {head, redis.call('HGET', turn, 'p:' .. head)}
end
`;

export const SEQUENCER_SCRIPTS = {
  /** KEYS line, turn, counter · ARGV ttlMs, message id. Takes the message's place in line (idempotent). */
  seqClaimMessage: {
    numberOfKeys: 3,
    lua: `${MEMBER_OF_MESSAGE}
redis.call('ZADD', KEYS[1], 'NX', 0, memberOf(KEYS[2], KEYS[3], ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`,
  },

  /**
   * KEYS line, turn · ARGV ttlMs, member, job id, member, job id… Takes these places in line for jobs parked
   * from the start (added delayed), idempotent; returns the next in line, if nobody holds the turn.
   */
  seqClaimParked: {
    numberOfKeys: 2,
    lua: `${NEXT_IF_FREE}
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'NX', 0, ARGV[i])
  redis.call('HSET', KEYS[2], 'p:' .. ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return nextIfFree(KEYS[1], KEYS[2])`,
  },

  /**
   * KEYS line, turn, counter · ARGV job id, ref, member ('' = the message's), now, ttlMs.
   * The turn, when this job holds it or heads the line while nobody does: {1, turn number}. Otherwise the job is
   * marked parked and {0, member, head, owner, since} (owner and since false when nobody holds the turn). A job
   * not in line (a replay, or a claim dropped as stale) takes its place again first.
   */
  seqAcquire: {
    numberOfKeys: 3,
    lua: `${MEMBER_OF_MESSAGE}
local line, turn, counter = KEYS[1], KEYS[2], KEYS[3]
local jobId, ref = ARGV[1], ARGV[2]
local owner = redis.call('HGET', turn, 'owner')
if owner == jobId then return {1, redis.call('HGET', turn, 'n')} end
local member = ARGV[3]
if member == '' then member = memberOf(turn, counter, ref) end
redis.call('ZADD', line, 'NX', 0, member)
local head = redis.call('ZRANGE', line, 0, 0)[1]
if not owner and head == member then
  redis.call('ZREM', line, member)
  local n = redis.call('INCR', counter)
  redis.call('HSET', turn, 'owner', jobId, 'n', n, 'since', ARGV[4])
  redis.call('HDEL', turn, 'p:' .. member, 'a:' .. ref)
  redis.call('PEXPIRE', turn, ARGV[5])
  return {1, tostring(n)}
end
redis.call('HSET', turn, 'p:' .. member, jobId)
if owner then return {0, member, head, owner, redis.call('HGET', turn, 'since')} end
return {0, member, head, false, false}`,
  },

  /** KEYS line, turn · ARGV job id. Ends that job's turn (if it still holds it); the next in line, if free. */
  seqRelease: {
    numberOfKeys: 2,
    lua: `${NEXT_IF_FREE}
if redis.call('HGET', KEYS[2], 'owner') == ARGV[1] then redis.call('HDEL', KEYS[2], 'owner', 'n', 'since') end
return nextIfFree(KEYS[1], KEYS[2])`,
  },

  /** KEYS line, turn · ARGV member, ref. Drops a member whose job is gone or over; the next in line, if free. */
  seqDrop: {
    numberOfKeys: 2,
    lua: `${NEXT_IF_FREE}
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], 'p:' .. ARGV[1], 'a:' .. ARGV[2])
return nextIfFree(KEYS[1], KEYS[2])`,
  },
} as const;

type Reply = unknown;

/** The scripts as ioredis commands (EVALSHA, with EVAL when Redis does not know the script yet). */
export interface SequencerCommands {
  seqClaimMessage(line: string, turn: string, counter: string, ttlMs: number, messageId: string): Promise<Reply>;
  seqClaimParked(line: string, turn: string, ttlMs: number, ...membersAndJobIds: string[]): Promise<[string, string | null] | null>;
  seqAcquire(
    line: string,
    turn: string,
    counter: string,
    jobId: string,
    ref: string,
    member: string,
    now: number,
    ttlMs: number,
  ): Promise<Array<string | number | null>>;
  seqRelease(line: string, turn: string, jobId: string): Promise<[string, string | null] | null>;
  seqDrop(line: string, turn: string, member: string, ref: string): Promise<[string, string | null] | null>;
}

export type SequencerRedis = Redis & SequencerCommands;

/** Registers the scripts on a client once; returns it typed with them. */
export function withSequencerScripts(redis: Redis): SequencerRedis {
  for (const [name, { numberOfKeys, lua }] of Object.entries(SEQUENCER_SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  }
  return redis as SequencerRedis;
}
