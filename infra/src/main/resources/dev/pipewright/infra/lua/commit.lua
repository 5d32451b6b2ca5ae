-- Ends an attempt, only if it still holds the task (the attempt id is the fencing token).
-- KEYS: task, job, leases, data, events, content types
-- ARGV: attempt id, outcome, error text, retryable ('1'/'0'), lease member, job id, node,
--       then triples of output data node, value, content type
-- Outcomes: 'ok'; 'fail' (the processor failed); 'timeout' (the attempt ran past its timeout);
-- 'interrupted' (told to stop); 'handback' (the worker is shutting down: dispatch it again now);
-- 'refuse' (the worker does not offer the job's config.infra: dispatch it again, for another worker
-- of the pool; the error text says why, and expire.lua bounds how often).
-- Returns 'ok', 'retry', 'ended:<state the task ended in>' (FAILED, TIMED_OUT, CANCELLED), 'handback'
-- or 'fenced'.
local st = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'sink')
if st[1] ~= 'RUNNING' or st[2] ~= ARGV[1] then
  return 'fenced'
end
local outcome = ARGV[2]
drop_attempt_timer(KEYS[1], ARGV[6], ARGV[7], ARGV[1])
if outcome == 'handback' or outcome == 'refuse' then
  -- the sweeper re-dispatches at once; a hand-back is not a lost lease
  if outcome == 'refuse' then
    redis.call('HSET', KEYS[1], 'handback', 'refused', 'refusal', ARGV[3])
  else
    redis.call('HSET', KEYS[1], 'handback', '1')
  end
  redis.call('ZADD', KEYS[3], 0, ARGV[5])
  return 'handback'
end
local now = now_us()
redis.call('ZREM', KEYS[3], ARGV[5])
if outcome == 'ok' then
  for i = 8, #ARGV, 3 do
    if redis.call('HSETNX', KEYS[4], ARGV[i], ARGV[i + 1]) == 1 then
      redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 2])
    else
      -- audit: a consumable is written once; a second write is a bug the fault tests look for
      redis.call('HINCRBY', KEYS[2], 'rewrites', 1)
    end
  end
  redis.call('HINCRBY', KEYS[1], 'commits', 1)
  redis.call('HSET', KEYS[1], 'state', 'SUCCESS', 'ended', now)
  redis.call('HDEL', KEYS[1], 'error')
  if st[3] then
    -- outputs with a source are copied to the data store by the overseer before it releases
    redis.call('XADD', KEYS[5], '*', 'j', ARGV[6], 'n', ARGV[7], 'a', ARGV[1], 'o', 'ok', 'w', st[3])
  else
    redis.call('XADD', KEYS[5], '*', 'j', ARGV[6], 'n', ARGV[7], 'a', ARGV[1], 'o', 'ok')
  end
  return 'ok'
end
-- (a stop of the whole job overrides this with the job's stopAs state)
local final_state = outcome == 'timeout' and 'TIMED_OUT' or 'FAILED'
local r, ended = end_attempt(KEYS[2], KEYS[5], ARGV[6], ARGV[7], ARGV[1], ARGV[3], ARGV[4] == '1', final_state)
if r == 'ended' then
  return 'ended:' .. ended
end
return r
