-- Extends a lease while its attempt still holds the task and its job is not being stopped.
-- KEYS: task, leases, job. ARGV: attempt id, member, lease ms
-- Returns 1 (renewed) or 0 (the attempt must stop).
local st = redis.call('HMGET', KEYS[1], 'state', 'attempt')
if st[1] ~= 'RUNNING' or st[2] ~= ARGV[1] then
  return 0
end
if redis.call('HGET', KEYS[3], 'status') == 'CANCELLING' then
  return 0
end
redis.call('ZADD', KEYS[2], 'XX', now_ms() + tonumber(ARGV[3]), ARGV[2])
return 1
