--[[
  What is booked plus what the holds still live at `now` keep (each hold's member ends in its tokens).
]]
local function usedOf(counter, holds, now)
  local used = tonumber(redis.call('GET', counter) or '0')
  for _, hold in ipairs(redis.call('ZRANGEBYSCORE', holds, '(' .. now, '+inf')) do
    used = used + tonumber(string.match(hold, ':(%d+)$'))
  end
  return used
end
