--[[
  Records the batch of a coalescing turn before its responder runs: the given members that still follow its own,
  without a gap, leave the line, their jobs are marked absorbed by this message id, and their entries are recorded
  as the batch. A batch recorded already is returned as it is.

    Input:
      KEYS[1] line
      KEYS[2] turn
      KEYS[3] batch
      KEYS[4..] absorbed, one per member (the mark enterLine finds on that member's job)
      ARGV[1] job id
      ARGV[2] ttl (ms)
      ARGV[3] message id (of the turn that answers them)
      ARGV[4] '1': add to a recorded batch (a turn taking interruptions) rather than return it
      ARGV[5..] member, entry (JSON), member, entry…

    Output:
      the batch (a JSON array of the entries taken), or false (nothing recorded) when this job does not hold the turn.
]]
local line, turn = KEYS[1], KEYS[2]
local recorded = redis.call('GET', KEYS[3])
if recorded and ARGV[4] ~= '1' then return recorded end
if redis.call('HGET', turn, 'owner') ~= ARGV[1] then return false end
local mine = redis.call('HGET', turn, 'm')
local count = #KEYS - 3
local following = {}
if mine and count > 0 then following = redis.call('ZRANGEBYLEX', line, '(' .. mine, '+', 'LIMIT', 0, count) end
local taken = {}
for i = 1, count do
  local member = ARGV[3 + 2 * i]
  if following[i] ~= member then break end
  local ref = string.sub(member, string.find(member, ':', 1, true) + 1)
  redis.call('ZREM', line, member)
  redis.call('HDEL', turn, 'p:' .. member, 'j:' .. member, 'a:' .. ref)
  redis.call('SET', KEYS[3 + i], ARGV[3], 'PX', ARGV[2])
  taken[#taken + 1] = ARGV[4 + 2 * i]
end
local batch = '[' .. table.concat(taken, ',') .. ']'
if recorded and #taken == 0 then return recorded end
if recorded and recorded ~= '[]' then batch = string.sub(recorded, 1, -2) .. ',' .. string.sub(batch, 2) end
redis.call('SET', KEYS[3], batch, 'PX', ARGV[2])
return batch
