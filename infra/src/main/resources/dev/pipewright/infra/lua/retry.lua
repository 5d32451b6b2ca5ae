-- A retry timer fired: re-dispatch the task if it still waits for it.
-- KEYS: task, job, timers, outbox. ARGV: member, job id, shard, node
if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then
  return reply('gone')
end
local st = redis.call('HMGET', KEYS[1], 'state', 'pool')
if st[1] ~= 'RETRY_WAIT' or redis.call('HGET', KEYS[2], 'status') ~= 'RUNNING' then
  return reply('stale')
end
dispatch(KEYS[2], KEYS[4], ARGV[2], ARGV[3], ARGV[4], st[2], now_us())
return reply('dispatched')
