-- Starts a built job (build-then-run): READY -> RUNNING, then dispatches every task whose parents
-- are all done, once. Running it again changes nothing: only a READY job starts.
-- KEYS: job, outbox. ARGV: job id, shard
-- Returns {'started', dispatched entries...}, {'gone'} or {<current status>} when the job was not READY.
local job_key, outbox = KEYS[1], KEYS[2]
local job_id, shard = ARGV[1], ARGV[2]
local j = redis.call('HMGET', job_key, 'status', 'deadline')
if not j[1] then
  return reply('gone')
end
if j[1] ~= 'READY' then
  return reply(j[1])
end
local now = now_us()
redis.call('HSET', job_key, 'status', 'RUNNING', 'started', now)
local deadline = tonumber(j[2] or '0')
if deadline > 0 then
  redis.call('ZADD', shard_key(outbox, 'timers'), math.floor(now / 1000) + deadline, 'd|' .. job_id)
end
for _, node in ipairs(redis.call('LRANGE', job_key .. ':nodes', 0, -1)) do
  local key = job_key .. ':t:' .. node
  local t = redis.call('HMGET', key, 'state', 'np', 'pool')
  if t[1] == 'PENDING' and redis.call('SCARD', job_key .. ':sat:' .. node) >= tonumber(t[2] or '0') then
    dispatch(job_key, outbox, job_id, shard, node, t[3], now)
  end
end
-- every task reused from an earlier job: nothing to run, the job has already ended
local c = redis.call('HMGET', job_key, 'terminal', 'total', 'failed')
if tonumber(c[1]) >= tonumber(c[2]) then
  redis.call('HSET', job_key, 'status', tonumber(c[3] or '0') > 0 and 'FAILED' or 'SUCCESS', 'finished', now)
end
return reply('started')
