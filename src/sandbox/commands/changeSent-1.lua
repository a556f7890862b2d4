--[[
  Changes a page message in the page log where it stands (an edit's text, a delete's deletedAt) and announces each entry
  changed. Every entry of the message id changes (a message sent again under its id is the same message); one deleted
  already stays as it is, as CometChat edits and deletes no deleted message. Decoded here, not by the caller, so two
  changes at once cannot undo each other.

    Input:
      KEYS[1] the page log (a list of page message JSON, newest first)
      ARGV[1] the message id
      ARGV[2] the fields to set (a JSON object)
      ARGV[3] the feed channel

    Output:
      the newest entry as changed (JSON), or false when the log holds no undeleted entry of that id.
]]
local change = cjson.decode(ARGV[2])
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
local newest = false
for index, json in ipairs(entries) do
  local ok, sent = pcall(cjson.decode, json)
  if ok and type(sent) == 'table' and tostring(sent.id) == ARGV[1] and sent.deletedAt == nil then
    for field, value in pairs(change) do
      sent[field] = value
    end
    local changed = cjson.encode(sent)
    redis.call('LSET', KEYS[1], index - 1, changed)
    redis.call('PUBLISH', ARGV[3], '{"kind":"sent-update","seq":' .. cjson.encode(tostring(sent.seq)) .. ',"item":' .. changed .. '}')
    if not newest then
      newest = changed
    end
  end
end
return newest
