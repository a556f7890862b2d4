--[[
  Ends the turn of `jobId` (if it still holds it); returns the next in line, if free (see nextIfFree).
]]
--- @include "nextIfFree"
local function endTurn(line, turn, jobId)
  if redis.call('HGET', turn, 'owner') == jobId then redis.call('HDEL', turn, 'owner', 'n', 'since', 'm', 'i') end
  return nextIfFree(line, turn)
end
