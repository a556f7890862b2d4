--[[
  Pauses sends for a while, never shortening a longer pause already set (a 429's wait is never cut by a shorter one).

    Input:
      KEYS[1] the pause (a bot's, or its app's)
      ARGV[1] how long, ms

    Output:
      the pause's time left, ms.
]]
local ms = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left >= ms then return left end
redis.call('SET', KEYS[1], '1', 'PX', ms)
return ms
