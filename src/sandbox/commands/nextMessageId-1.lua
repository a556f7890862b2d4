--[[
  The sandbox's next message id: one INCR, lifted to the clock when behind it, so ids keep increasing across Redis
  flushes and look like CometChat's (digits, so conversation turns order by them).

    Input:
      KEYS[1] the id counter
      ARGV[1] now (ms)

    Output:
      the id.
]]
local id = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if id < floor then
  redis.call('SET', KEYS[1], ARGV[1])
  id = floor
end
return id
