--[[
  Replaces a stored reply (the edit of a bot message) where it stands in the outbox, and announces it. The reply is
  found by its id; the caller built its new JSON from the old.

    Input:
      KEYS[1] the outbox (a list of reply JSON, newest first)
      ARGV[1] the reply's id
      ARGV[2] its new JSON
      ARGV[3] the feed channel
      ARGV[4] the announcement (JSON)

    Output:
      1 when replaced, 0 when the reply is not in the outbox (any more).
]]
local replies = redis.call('LRANGE', KEYS[1], 0, -1)
for index, json in ipairs(replies) do
  local ok, reply = pcall(cjson.decode, json)
  if ok and type(reply) == 'table' and tostring(reply.id) == ARGV[1] then
    redis.call('LSET', KEYS[1], index - 1, ARGV[2])
    redis.call('PUBLISH', ARGV[3], ARGV[4])
    return 1
  end
end
return 0
