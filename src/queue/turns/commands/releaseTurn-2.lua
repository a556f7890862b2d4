--[[
  Ends a job's turn (if it still holds it).

    Input:
      KEYS[1] line
      KEYS[2] turn
      ARGV[1] job id

    Output:
      the next in line if nobody holds the turn now (see nextIfFree), else false.
]]
--- @include "includes/endTurn"
return endTurn(KEYS[1], KEYS[2], ARGV[1])
