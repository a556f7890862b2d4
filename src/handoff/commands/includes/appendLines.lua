--[[
  Appends transcript lines to a conversation's capped list, each once: a line whose id the list holds already (a turn
  run again) is left out. The list keeps its last `cap` lines and expires `ttlMs` after its last write.

    lines: a flat array of id, entry pairs, from `first` on
]]
local function appendLines(key, cap, ttlMs, lines, first)
  if lines[first] == nil then return end
  local held = {}
  for _, entry in ipairs(redis.call('LRANGE', key, 0, -1)) do
    local ok, line = pcall(cjson.decode, entry)
    if ok and type(line) == 'table' and line.id then held[line.id] = true end
  end
  for i = first, #lines, 2 do
    local id, entry = lines[i], lines[i + 1]
    if not held[id] then
      redis.call('RPUSH', key, entry)
      held[id] = true
    end
  end
  redis.call('LTRIM', key, -tonumber(cap), -1)
  redis.call('PEXPIRE', key, ttlMs)
end
