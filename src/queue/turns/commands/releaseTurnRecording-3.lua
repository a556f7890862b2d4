#!lua flags=allow-oom
--[[
  releaseTurn, with a fact the turn ends on written in the same step (a sent reply's record). allow-oom: the fact is
  written even when Redis refuses other writes.

    Input:
      KEYS[1] line
      KEYS[2] turn
      KEYS[3] the record's key
      ARGV[1] job id
      ARGV[2] the record's value
      ARGV[3] the record's ttl (ms)

    Output:
      the next in line if nobody holds the turn now (see nextIfFree), else false.
]]
--- @include "includes/endTurn"
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
return endTurn(KEYS[1], KEYS[2], ARGV[1])
