--[[
  For a coalescing turn: who waits right behind the job holding the turn. Nothing is changed: absorbBehind takes
  them.

    Input:
      KEYS[1] line
      KEYS[2] turn
      KEYS[3] batch (the batch this job recorded, if any)
      ARGV[1] job id
      ARGV[2] limit
      ARGV[3] '1': look past a recorded batch (a turn taking interruptions absorbs more while it runs)

    Output:
      {1, batch JSON}  this job recorded its batch already (a retry, a stalled re-run, a replay)
      {2}              this job does not hold the turn
      {0, member, job id, member, job id…}  up to `limit` members right behind its own, in line order, each with its
                       job id (parked, else claimed at ingest), stopping at one whose job is not known yet
]]
local line, turn = KEYS[1], KEYS[2]
local recorded = redis.call('GET', KEYS[3])
if recorded and ARGV[3] ~= '1' then return {1, recorded} end
if redis.call('HGET', turn, 'owner') ~= ARGV[1] then return {2} end
local mine = redis.call('HGET', turn, 'm')
local found = {0}
if not mine then return found end
for _, member in ipairs(redis.call('ZRANGEBYLEX', line, '(' .. mine, '+', 'LIMIT', 0, tonumber(ARGV[2]))) do
  local jobId = redis.call('HGET', turn, 'p:' .. member)
  if jobId then
    jobId = string.gsub(jobId, '^~', '')
  else
    local claim = redis.call('HGET', turn, 'j:' .. member)
    if claim then jobId = string.match(claim, '^(.*)|') end
  end
  if not jobId then break end
  found[#found + 1] = member
  found[#found + 1] = jobId
end
return found
