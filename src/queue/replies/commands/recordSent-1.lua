#!lua flags=allow-oom
--[[
  Records that CometChat took a reply. allow-oom: written even when Redis refuses every other write (maxmemory
  reached with noeviction), the one moment it matters most: CometChat has the message, and the job's completion is
  about to fail.

    Input:
      KEYS[1] the reply's send record
      ARGV[1] CometChat's message id
      ARGV[2] ttl (ms)

    Output:
      OK
]]
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
