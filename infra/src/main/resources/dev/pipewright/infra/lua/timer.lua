-- A durable timer fired. Members: r|job|node (retry due), q|job|node|dispatch (queue timeout),
-- a|job|node|attempt (attempt timeout), d|job (job deadline), b|job (a job whose tasks stopped
-- being written before the last chunk: its submission was interrupted).
-- KEYS: job, timers, outbox, events, leases. ARGV: member, job id, shard, kind, node, token
-- Returns a status ('dispatched', 'timedout', 'stopping', 'stale'...) then dispatched entries.
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then
  return reply('gone')
end
local job_key, kind, node, token = KEYS[1], ARGV[4], ARGV[5], ARGV[6]
local job_status = redis.call('HGET', job_key, 'status')
if not job_status then
  return reply('gone')
end
local key = job_key .. ':t:' .. node
if kind == 'r' then
  local st = redis.call('HMGET', key, 'state', 'pool')
  if st[1] ~= 'RETRY_WAIT' or job_status ~= 'RUNNING' then
    return reply('stale')
  end
  dispatch(job_key, KEYS[3], ARGV[2], ARGV[3], node, st[2], now_us(), 'RETRY_WAIT')
  return reply('dispatched')
elseif kind == 'q' then
  local st = redis.call('HMGET', key, 'state', 'dispatch', 'qt', 'pool')
  if st[1] ~= 'READY' or st[2] ~= token then
    return reply('stale')
  end
  unqueue(job_key, ARGV[2], node, st[4])
  set_state(job_key, node, 'READY', 'TIMED_OUT', 'error', 'not started within its queueTimeout (' .. st[3] .. ' ms): no worker of its pool took it', 'ended', now_us())
  redis.call('XADD', KEYS[4], '*', 'j', ARGV[2], 'n', node, 'a', '', 'o', 'fail')
  note_task_end(key, 'TIMED_OUT', 'queue_timeout')
  return reply('timedout')
elseif kind == 'a' then
  local st = redis.call('HMGET', key, 'state', 'attempt', 'to')
  if st[1] ~= 'RUNNING' or st[2] ~= token then
    return reply('stale')
  end
  redis.call('ZREM', KEYS[5], ARGV[2] .. '|' .. node)
  local r, ended = end_attempt(job_key, KEYS[4], ARGV[2], node, token, 'attempt exceeded its timeout (' .. st[3] .. ' ms)', true, 'TIMED_OUT')
  note_task_end(key, ended or r, 'attempt_timeout')
  return reply('timedout')
elseif kind == 'b' then
  if redis.call('HGET', job_key, 'building') ~= '1' then
    return reply('stale')
  end
  -- the tasks never written will never run: the job is as big as what was written, and fails
  local written = redis.call('LLEN', job_key .. ':nodes')
  local reason = 'submission interrupted: ' .. written .. ' of ' .. redis.call('HGET', job_key, 'total') .. ' tasks were written'
  redis.call('HDEL', job_key, 'building')
  redis.call('HSET', job_key, 'total', written)
  local r = stop_job(job_key, ARGV[2], 'FAILED', 'CANCELLED', reason)
  return reply(r == 'stopping' and 'stopping' or 'stale')
elseif kind == 'd' then
  local r, running = stop_job(job_key, ARGV[2], 'FAILED', 'TIMED_OUT', 'job deadline exceeded')
  return reply(r == 'stopping' and 'stopping' or 'stale')
end
return reply('unknown')
