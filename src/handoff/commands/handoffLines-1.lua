--[[
  Keeps a turn's lines (the messages it answered, the bot's replies) for a transcript.

    Input:
      KEYS[1] the conversation's transcript lines
      ARGV[1] lines kept at most
      ARGV[2] their time to live (ms)
      ARGV[3...] id, entry pairs

    Output:
      nothing.
]]
--- @include "includes/appendLines"
appendLines(KEYS[1], ARGV[1], ARGV[2], ARGV, 3)
return 0
