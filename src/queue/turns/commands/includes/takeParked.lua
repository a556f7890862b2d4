--[[
  A parked member's job id, for the caller to promote; marked woken ('~' before the id) so that nobody else
  promotes it again: later callers get '~<job id>' and leave it be.
]]
local function takeParked(turn, member)
  local parked = redis.call('HGET', turn, 'p:' .. member)
  if parked and string.sub(parked, 1, 1) ~= '~' then redis.call('HSET', turn, 'p:' .. member, '~' .. parked) end
  return parked
end
