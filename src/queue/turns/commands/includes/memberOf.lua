--[[
  A message's member: numeric ids by value at any length (length first, then digits: lexical order is numeric
  order), other ids by the arrival Redis recorded (the counter), and after every numeric one.
]]
local function memberOf(turnKey, counterKey, ref)
  if string.find(ref, '^%d+$') then
    local digits = string.gsub(ref, '^0+', '')
    if digits == '' then digits = '0' end
    return '0' .. string.format('%03d', #digits) .. digits .. ':' .. ref
  end
  local known = redis.call('HGET', turnKey, 'a:' .. ref)
  if known then return known end
  local member = '1' .. string.format('%016d', redis.call('INCR', counterKey)) .. ':' .. ref
  redis.call('HSET', turnKey, 'a:' .. ref, member)
  return member
end
