--[[
  The next member in line, its parked job id (see takeParked) and its ingest claim, when nobody holds the turn:
  {member, parked job id or false, claim `<job id>|<ms>` or false}; false otherwise.
]]
--- @include "takeParked"
local function nextIfFree(line, turn)
  if redis.call('HEXISTS', turn, 'owner') == 1 then return false end
  local head = redis.call('ZRANGE', line, 0, 0)[1]
  if not head then return false end
  return {head, takeParked(turn, head), redis.call('HGET', turn, 'j:' .. head)}
end
