--[[
  Holds part of a user's daily token budget for one turn, while what is booked plus what live holds keep is under
  the budget. One step, so turns of one user running at once see each other's holds. Holds past their expiry (their
  turn died before it settled) are dropped first: they no longer count.

    Input:
      KEYS[1] the day's counter
      KEYS[2] the day's holds (a sorted set: score = expiry ms, member = `<hold id>:<tokens>`)
      ARGV[1] budget (tokens)
      ARGV[2] hold (tokens)
      ARGV[3] the holds' ttl (seconds)
      ARGV[4] now (ms)
      ARGV[5] the hold's expiry (ms)
      ARGV[6] hold id

    Output:
      1 and the hold recorded; 0 (nothing recorded) once the budget is spent.
]]
--- @include "includes/usedOf"
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
if usedOf(KEYS[1], KEYS[2], ARGV[4]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6] .. ':' .. ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
