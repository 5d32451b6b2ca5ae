-- Applies one completion event: counts the task once, releases children whose parents are all
-- done (or skips the descendants of a failure), ends the job when every task has, acks the event.
-- KEYS: job, events, outbox
-- ARGV: group, entry id, node, outcome ('ok'/'fail'/'cancel'), job id, shard
local function ack()
  redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
  redis.call('XDEL', KEYS[2], ARGV[2])
end
local job_key, node = KEYS[1], ARGV[3]
if redis.call('EXISTS', job_key) == 0 then
  ack()
  return reply('gone')
end
if redis.call('SADD', job_key .. ':done', node) == 0 then
  ack()
  return reply('duplicate')
end
-- a processor slot it held goes to the next held task (concurrency limits)
free_slot(job_key, ARGV[5], node)
local now = now_us()
local released = 0
if ARGV[4] == 'ok' then
  count_terminal(job_key, 'succeeded')
  local running = redis.call('HGET', job_key, 'status') == 'RUNNING'
  for _, child in ipairs(cjson.decode(redis.call('HGET', job_key .. ':t:' .. node, 'ch') or '[]')) do
    local sat = job_key .. ':sat:' .. child
    redis.call('SADD', sat, node)
    local c = redis.call('HMGET', job_key .. ':t:' .. child, 'state', 'np', 'pool')
    if running and c[1] == 'PENDING' and redis.call('SCARD', sat) >= tonumber(c[2]) then
      dispatch(job_key, KEYS[3], ARGV[5], ARGV[6], child, c[3], now)
      -- audit: a child is released once, by the event of its last parent
      redis.call('HINCRBY', job_key .. ':t:' .. child, 'releases', 1)
      released = released + 1
    end
  end
elseif ARGV[4] == 'cancel' then
  count_terminal(job_key, 'cancelled')
else
  count_terminal(job_key, 'failed')
  skip_descendants(job_key, node, "upstream task '" .. node .. "' did not succeed")
end
ack()
-- '<released children>'; a job this ended (and tasks it skipped) are in the reply's ends
return reply(tostring(released))
