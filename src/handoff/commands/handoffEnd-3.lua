--[[
  Gives a conversation back to the bot (/bot, `cli handoff resume`).

    Input:
      KEYS[1] the conversation's handoff
      KEYS[2] the index of handoffs
      KEYS[3] resumes to report (for a process that has no metrics, the CLI)
      ARGV[1] the conversation (the index's member)
      ARGV[2] '1': note the resume (or a timeout found) in KEYS[3] for the service's next scrape to count
      ARGV[3] now (ms since the epoch)

    Output:
      {handoff} it was handed off; {false, 1} it had timed out (not reported yet); {} it was not handed off.
]]
local handoff = redis.call('GET', KEYS[1])
local indexed = redis.call('ZREM', KEYS[2], ARGV[1]) == 1
local function note(by, since)
  if ARGV[2] ~= '1' then return end
  local entry = {conversation = ARGV[1], by = by, at = tonumber(ARGV[3])}
  if since then entry.since = since end
  redis.call('RPUSH', KEYS[3], cjson.encode(entry))
  redis.call('LTRIM', KEYS[3], -1000, -1)
end
if handoff then
  redis.call('DEL', KEYS[1])
  local ok, parsed = pcall(cjson.decode, handoff)
  note('cli', ok and type(parsed) == 'table' and tonumber(parsed.since) or false)
  return {handoff}
end
if indexed then
  note('timeout', false)
  return {false, 1}
end
return {}
