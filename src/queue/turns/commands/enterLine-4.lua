--[[
  A job that runs asks for its turn. A job not in line (a replay, or a place dropped as stale) takes its place
  again first; one not next in line is marked parked (the caller parks it at once).

    Input:
      KEYS[1] line
      KEYS[2] turn
      KEYS[3] counter
      KEYS[4] absorbed (the mark a coalesced turn leaves on the job of a message it answered)
      ARGV[1] job id
      ARGV[2] ref (the message id in events, the job id in replies)
      ARGV[3] member ('' = the message's, from its id)
      ARGV[4] now (ms)
      ARGV[5] ttl (ms)

    Output:
      {1, turn number}   the job holds the turn (it did already, or it heads the line and nobody held it)
      {2, message id}    a coalesced turn answered this job's message (it left the line)
      {0, member, head, owner, since}                 the turn is held by another job
      {0, member, head, false, false, parked, claim}  the turn is free but another member heads the line: its
                                                      parked job id (see takeParked) and its ingest claim
]]
--- @include "includes/memberOf"
--- @include "includes/grant"
--- @include "includes/takeParked"
local line, turn, counter = KEYS[1], KEYS[2], KEYS[3]
local jobId, ref = ARGV[1], ARGV[2]
local owner = redis.call('HGET', turn, 'owner')
if owner == jobId then return {1, redis.call('HGET', turn, 'n')} end
local member = ARGV[3]
if member == '' then member = memberOf(turn, counter, ref) end
-- Asked before the line, which may hold its place again (a redelivery's claim, taken back once its add turns out a
-- duplicate).
local into = redis.call('GET', KEYS[4])
if into then
  redis.call('ZREM', line, member)
  redis.call('HDEL', turn, 'p:' .. member, 'j:' .. member, 'a:' .. ref)
  return {2, into}
end
redis.call('ZADD', line, 'NX', 0, member)
local head = redis.call('ZRANGE', line, 0, 0)[1]
if not owner and head == member then return grant(line, turn, counter, jobId, member, ref, ARGV[4], ARGV[5]) end
-- Not next in line: marked parked now, since it cannot be handed the turn before the members ahead of it have had
-- theirs.
if head ~= member then redis.call('HSET', turn, 'p:' .. member, jobId) end
if owner then return {0, member, head, owner, redis.call('HGET', turn, 'since')} end
return {0, member, head, false, false, takeParked(turn, head), redis.call('HGET', turn, 'j:' .. head)}
