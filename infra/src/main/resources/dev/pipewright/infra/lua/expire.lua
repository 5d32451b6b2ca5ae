-- A lease ran out: the worker is gone or cut off. Re-dispatch (up to a limit) or fail the task.
-- KEYS: task, job, leases, events, outbox. ARGV: member, job id, shard, node, max lost leases
local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not score or tonumber(score) > now_ms() then
  return reply('alive')
end
redis.call('ZREM', KEYS[3], ARGV[1])
local st = redis.call('HMGET', KEYS[1], 'state', 'pool', 'worker', 'attempt')
if st[1] ~= 'RUNNING' then
  return reply('stale')
end
local lost = redis.call('HINCRBY', KEYS[1], 'lost', 1)
local reason = "lease expired: worker '" .. (st[3] or '?') .. "' stopped heartbeating"
local now = now_us()
if lost <= tonumber(ARGV[5]) and redis.call('HGET', KEYS[2], 'status') == 'RUNNING' then
  redis.call('HSET', KEYS[1], 'error', reason)
  dispatch(KEYS[2], KEYS[5], ARGV[2], ARGV[3], ARGV[4], st[2], now)
  return reply('redispatched')
end
redis.call('HSET', KEYS[1], 'state', 'FAILED', 'error', reason .. ' (' .. lost .. ' times)', 'ended', now)
redis.call('XADD', KEYS[4], '*', 'j', ARGV[2], 'n', ARGV[4], 'a', st[4] or '', 'o', 'fail')
return reply('failed')
