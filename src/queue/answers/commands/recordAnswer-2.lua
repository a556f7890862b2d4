--[[
  Records one message the bot posted as (part of) its answer to a message, both ways: what the question was answered
  with (its answer messages, by reply, the responder and the question's text), and what an answer message answered.

    Input:
      KEYS[1] the question's record (a hash)
      KEYS[2] the answer message's record
      ARGV[1] the reply's id (its job's): a question answered again (edited) keeps every answer it had
      ARGV[2] the answer message's id
      ARGV[3] the responder ('' when unknown)
      ARGV[4] the question's text ('' when unknown)
      ARGV[5] the answer message's record (JSON)
      ARGV[6] how long both are kept, ms

    Output:
      1
]]
redis.call('HSET', KEYS[1], 'a:' .. ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'responder', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'text', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
return 1
