--[[
  A user's tokens today: what is booked plus what live holds keep.

    Input:
      KEYS[1] the day's counter
      KEYS[2] the day's holds
      ARGV[1] now (ms)

    Output:
      the tokens used.
]]
--- @include "includes/usedOf"
return usedOf(KEYS[1], KEYS[2], ARGV[1])
