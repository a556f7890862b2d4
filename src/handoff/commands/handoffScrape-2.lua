--[[
  What a scrape reports: the conversations handed off now; those whose handoff expired since anyone looked (taken out
  of the index, so each timeout is counted once, by whoever takes it); the resumes other processes noted.

    Input:
      KEYS[1] the index of handoffs
      KEYS[2] resumes to report
      ARGV[1] now (ms since the epoch)

    Output:
      {conversations handed off now, conversations timed out, resumes noted (JSON)}
]]
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
local resumed = redis.call('LRANGE', KEYS[2], 0, -1)
if #resumed > 0 then redis.call('DEL', KEYS[2]) end
return {redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf'), expired, resumed}
