--[[
  Drops a member whose job is gone or over.

    Input:
      KEYS[1] line
      KEYS[2] turn
      ARGV[1] member
      ARGV[2] ref

    Output:
      the next in line if nobody holds the turn (see nextIfFree), else false.
]]
--- @include "includes/nextIfFree"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], 'p:' .. ARGV[1], 'j:' .. ARGV[1], 'a:' .. ARGV[2])
return nextIfFree(KEYS[1], KEYS[2])
