--[[
  Counts one reaction on an answer once (a redelivered or retried event is not counted twice): its tally field moves by
  the delta, never below zero (a removal of a reaction counted before the tally began).

    Input:
      KEYS[1] the tally (a hash: field per bot, responder and reaction)
      KEYS[2] this reaction event's mark
      ARGV[1] the tally field
      ARGV[2] the delta (1 added, -1 removed)
      ARGV[3] how long the mark is kept, ms

    Output:
      1 when counted now, 0 when it was counted before.
]]
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then return 0 end
if redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2]) < 0 then redis.call('HSET', KEYS[1], ARGV[1], 0) end
return 1
