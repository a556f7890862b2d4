--[[
  Takes these places in line (idempotent; a job that holds the turn already is skipped), each marked claimed like a
  message at ingest. When nobody holds the turn and the first member heads the line, its job gets the turn at once.

    Input:
      KEYS[1] line
      KEYS[2] turn
      KEYS[3] counter
      ARGV[1] ttl (ms)
      ARGV[2] now (ms)
      ARGV[3..] member, job id, member, job id…

    Output:
      {1, turn number} the first job holds the turn (the caller adds it runnable); else {0} (the caller adds the
      jobs parked, then marks them with claimParked).
]]
--- @include "includes/grant"
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
return {0}
