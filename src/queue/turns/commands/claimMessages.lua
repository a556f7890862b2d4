--[[
  Takes each message's place in its conversation's line at ingest (idempotent; one call for every message of an
  event-loop turn). A parked message (stored delayed) is marked parked at once, for the hand-off to promote; a
  hand-off that comes before its job is stored retries shortly. No expiry is set here, on the hot path: each grant
  refreshes it.

    Input:
      KEYS[1]                 the queue's counter
      KEYS[2k], KEYS[2k+1]    per message: its conversation's line and turn hash
      ARGV[1]                 now (ms)
      ARGV[3k-1..3k+1]        per message: message id, job id, parked ('1' when its job is stored delayed)

    Output:
      per message, two values: the member when this call added it (to take back should its store fail or turn out
      a duplicate), else false; then 0 the conversation was free, 1 busy (a turn held, or a member ahead),
      2 the message is parked but heads a free line, marked woken (the caller promotes its job once stored),
      3 busy with a turn that takes interruptions (its responder answers a new message together with its own).
]]
--- @include "includes/memberOf"
local added = {}
for i = 2, #KEYS, 2 do
  local line, turn = KEYS[i], KEYS[i + 1]
  local at = 2 + (i - 2) / 2 * 3
  local jobId = ARGV[at + 1]
  local member = memberOf(turn, KEYS[1], ARGV[at])
  local owner = redis.call('HGET', turn, 'owner')
  local busy = owner ~= false
  local interruptible = owner and redis.call('HGET', turn, 'i') == owner
  if redis.call('ZADD', line, 'NX', 0, member) == 1 then
    redis.call('HSETNX', turn, 'j:' .. member, jobId .. '|' .. ARGV[1])
    busy = busy or redis.call('ZRANK', line, member) ~= 0
    added[#added + 1] = member
    if ARGV[at + 2] == '1' then
      redis.call('HSET', turn, 'p:' .. member, busy and jobId or '~' .. jobId)
      added[#added + 1] = busy and (interruptible and 3 or 1) or 2
    else
      added[#added + 1] = interruptible and 3 or busy and 1 or 0
    end
  else
    added[#added + 1] = false
    added[#added + 1] = 1
  end
end
return added
