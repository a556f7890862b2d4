--[[
  One bot's send asks to go (a deployment of several bots): not while the bot or its app is paused (a 429, a spent
  quota), and within the bot's budget of sends a minute (its sendsPerMinute, across every process: a fixed window that
  starts with its first send, as BullMQ's own limiter counts).

    Input:
      KEYS[1] the bot's pause
      KEYS[2] its app's pause
      KEYS[3] the bot's count of sends in its window
      ARGV[1] sends a window (0: no budget of its own)
      ARGV[2] the window, ms

    Output:
      0 when the send may go (it is counted); else ms until it may (nothing counted).
]]
local paused = math.max(redis.call('PTTL', KEYS[1]), redis.call('PTTL', KEYS[2]))
if paused > 0 then return paused end
local max = tonumber(ARGV[1])
if max == 0 then return 0 end
local sends = redis.call('INCR', KEYS[3])
if sends == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
if sends <= max then return 0 end
redis.call('DECR', KEYS[3])
local left = redis.call('PTTL', KEYS[3])
if left > 0 then return left end
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return tonumber(ARGV[2])
