--[[
  For a job just parked (delayed): marks it parked, for the hand-off to promote, unless the turn was handed over
  meanwhile. Marked only once delayed, so a hand-off never finds a parked job still running.

    Input:
      KEYS[1] line
      KEYS[2] turn
      KEYS[3] counter
      ARGV[1] job id
      ARGV[2] member
      ARGV[3] ref
      ARGV[4] now (ms)
      ARGV[5] ttl (ms)

    Output:
      {1, turn number} the turn is the job's now (the caller promotes it); else {0}.
]]
--- @include "includes/grant"
local line, turn = KEYS[1], KEYS[2]
if redis.call('HEXISTS', turn, 'owner') == 0 and redis.call('ZRANGE', line, 0, 0)[1] == ARGV[2] then
  return grant(line, turn, KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
end
redis.call('HSET', turn, 'p:' .. ARGV[2], ARGV[1])
return {0}
