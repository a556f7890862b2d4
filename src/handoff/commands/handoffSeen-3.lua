--[[
  A turn's look at its conversation: handed off or not (the gate), a timeout noticed, and the message kept for a
  transcript, in one step.

    Input:
      KEYS[1] the conversation's handoff
      KEYS[2] the index of handoffs
      KEYS[3] the conversation's transcript lines
      ARGV[1] the conversation (the index's member)
      ARGV[2] lines kept at most
      ARGV[3] their time to live (ms)
      ARGV[4...] id, entry pairs to keep (none: nothing kept)

    Output:
      {1, handoff} handed off; {-1} it timed out and this call is the first to see it; {0} with the bot.
]]
--- @include "includes/appendLines"
appendLines(KEYS[3], ARGV[2], ARGV[3], ARGV, 4)
local handoff = redis.call('GET', KEYS[1])
if handoff then return {1, handoff} end
-- Its index entry outlived it: it expired (HANDOFF_TIMEOUT_MS), and whoever removes the entry reports that once.
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then return {-1} end
return {0}
