--[[
  Gives the probe lock back, only for its holder: a probe that outlived its lock must not end the next holder's.

    Input:
      KEYS[1] the probe lock
      ARGV[1] the holder's token

    Output:
      1 when it was this holder's and is deleted, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
