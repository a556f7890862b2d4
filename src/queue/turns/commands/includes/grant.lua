--[[
  Gives the turn to a job whose member heads the line (and leaves it): {1, turn number}.
]]
local function grant(line, turn, counter, jobId, member, ref, now, ttl)
  redis.call('ZREM', line, member)
  local n = redis.call('INCR', counter)
  redis.call('HSET', turn, 'owner', jobId, 'n', n, 'since', now, 'm', member)
  redis.call('HDEL', turn, 'p:' .. member, 'j:' .. member, 'a:' .. ref)
  redis.call('PEXPIRE', turn, ttl)
  redis.call('PEXPIRE', line, ttl)
  return {1, tostring(n)}
end
