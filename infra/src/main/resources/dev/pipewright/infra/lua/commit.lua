-- Ends an attempt, only if it still holds the task (the attempt id is the fencing token).
-- KEYS: task, job, leases, data, events, timers, content types
-- ARGV: attempt id, 'ok'|'fail', error text, retry delay ms (-1: not retryable), lease member,
--       job id, node, then triples of output data node, value, content type
-- Returns 'ok', 'retry', 'failed' or 'fenced'.
local st = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'attempts', 'max', 'sink')
if st[1] ~= 'RUNNING' or st[2] ~= ARGV[1] then
  return 'fenced'
end
local now = now_us()
redis.call('ZREM', KEYS[3], ARGV[5])
if ARGV[2] == 'ok' then
  for i = 8, #ARGV, 3 do
    if redis.call('HSETNX', KEYS[4], ARGV[i], ARGV[i + 1]) == 1 then
      redis.call('HSET', KEYS[7], ARGV[i], ARGV[i + 2])
    end
  end
  redis.call('HSET', KEYS[1], 'state', 'SUCCESS', 'ended', now)
  redis.call('HDEL', KEYS[1], 'error')
  if st[5] then
    -- outputs with a source are copied to the data store by the overseer before it releases
    redis.call('XADD', KEYS[5], '*', 'j', ARGV[6], 'n', ARGV[7], 'a', ARGV[1], 'o', 'ok', 'w', st[5])
  else
    redis.call('XADD', KEYS[5], '*', 'j', ARGV[6], 'n', ARGV[7], 'a', ARGV[1], 'o', 'ok')
  end
  return 'ok'
end
local delay = tonumber(ARGV[4])
if delay >= 0 and tonumber(st[3]) <= tonumber(st[4]) then
  redis.call('HSET', KEYS[1], 'state', 'RETRY_WAIT', 'error', ARGV[3], 'ended', now)
  redis.call('ZADD', KEYS[6], math.floor(now / 1000) + delay, ARGV[5])
  return 'retry'
end
redis.call('HSET', KEYS[1], 'state', 'FAILED', 'error', ARGV[3], 'ended', now)
redis.call('XADD', KEYS[5], '*', 'j', ARGV[6], 'n', ARGV[7], 'a', ARGV[1], 'o', 'fail')
return 'failed'
