--[[
  Hands a conversation to people, unless it is already: the handoff (expiring with HANDOFF_TIMEOUT_MS) and its index
  entry (scored by when it expires) in one step, with the transcript's lines.

    Input:
      KEYS[1] the conversation's handoff
      KEYS[2] the index of handoffs
      KEYS[3] the conversation's transcript lines
      ARGV[1] the conversation (the index's member)
      ARGV[2] the handoff (JSON)
      ARGV[3] its time to live (ms)
      ARGV[4] when it expires (ms since the epoch)

    Output:
      {1 started here | 0 handed off already, the handoff in force, the transcript lines oldest first}
]]
local current = redis.call('GET', KEYS[1])
local lines = redis.call('LRANGE', KEYS[3], 0, -1)
if current then return {0, current, lines} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return {1, ARGV[2], lines}
