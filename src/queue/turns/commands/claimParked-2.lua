--[[
  Marks these places' jobs parked (added delayed, so no worker takes them up before their turn).

    Input:
      KEYS[1] line
      KEYS[2] turn
      ARGV[1] ttl (ms)
      ARGV[2..] member, job id, member, job id…

    Output:
      the one of them that holds the turn already, {member, job id} (an earlier run was granted the turn, then failed
      before adding it: the caller promotes it); else the next in line if nobody holds the turn (see nextIfFree);
      else false.
]]
--- @include "includes/nextIfFree"
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
return nextIfFree(KEYS[1], KEYS[2])
