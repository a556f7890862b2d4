--[[
  Adds a user's reaction to a reply, or takes it back when they had given it (the page's toggle), and announces every
  reaction the reply now has. One hash a reply, a field a user and emoji: two clicks at once cannot both add.

    Input:
      KEYS[1] the reply's reactions (a hash: "<uid>:<emoji>" -> reaction JSON)
      ARGV[1] the field
      ARGV[2] the reaction JSON, kept when added
      ARGV[3] the feed channel
      ARGV[4] the reply's id
      ARGV[5] seconds the reactions are kept after the last change

    Output:
      {1, the reaction JSON} when added; {0, the reaction taken back (its JSON: the same id)} when removed.
]]
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
local id = cjson.encode(ARGV[4])
local item = '{"id":' .. id .. ',"reactions":[' .. table.concat(redis.call('HVALS', KEYS[1]), ',') .. ']}'
redis.call('PUBLISH', ARGV[3], '{"kind":"reactions","seq":' .. id .. ',"item":' .. item .. '}')
if existing then
  return {0, existing}
end
return {1, ARGV[2]}
