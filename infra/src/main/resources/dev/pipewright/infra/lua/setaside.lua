-- Sets aside what keeps failing on a shard, so that the rest of the shard flows on: an event whose
-- outputs the data store refuses ('store'), or an event, timer or lease expiry that failed its
-- bounded retries ('event', 'timer', 'lease'). Records it with its reason in the shard's set-aside
-- stream (capped) and stops its job as FAILED with that reason. A 'store' event is then released
-- as usual by the caller (its task did run; the job no longer dispatches anything); any other item
-- is dropped here: acknowledged and deleted from the events, or removed from its timer set.
-- KEYS: the shard's events stream, set-aside stream, timers, leases
-- ARGV: group, kind, item (entry id or member), job id ('' when unknown), node, reason, records kept
-- Returns reply(<what it did to the job: 'stopping', the status it already had, or 'gone'>)
local group, kind, item, job_id, node, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]

-- The task whose end the dropped item would have brought: ended and counted here, so that the
-- stopped job can end (a RUNNING task whose lease expiry is dropped would otherwise never end).
local function end_task(job_key)
  local key = job_key .. ':t:' .. node
  local s = redis.call('HGET', key, 'state')
  if not s then
    return
  end
  if s == 'RUNNING' then
    redis.call('ZREM', KEYS[4], job_id .. '|' .. node)
    set_state(job_key, node, 'RUNNING', 'FAILED', 'error', reason, 'ended', now_us())
    note_task_end(key, 'FAILED', 'set_aside')
  end
  if redis.call('SADD', job_key .. ':done', node) == 1 then
    free_slot(job_key, job_id, node)
    count_terminal(job_key, succeeded(s) and 'succeeded' or 'failed')
  end
end

local effect = 'gone'
if job_id ~= '' then
  local job_key = shard_prefix(KEYS[1]) .. 'job:' .. job_id
  if kind == 'store' and node ~= '' and redis.call('EXISTS', job_key .. ':t:' .. node) == 1 then
    -- the task ran and stays SUCCESS (a terminal state), but its view says why its outputs are not stored
    redis.call('HSET', job_key .. ':t:' .. node, 'error', reason)
  end
  -- what keeps failing may be the job's own state: stopping it must not fail the setting aside
  local ok, r = pcall(stop_job, job_key, job_id, 'FAILED', 'CANCELLED', reason)
  effect = ok and r or 'unstoppable'
  if kind ~= 'store' and node ~= '' then
    pcall(end_task, job_key)
    effect = redis.call('HGET', job_key, 'status') or 'gone'
  end
end
if kind == 'event' then
  redis.call('XACK', KEYS[1], group, item)
  redis.call('XDEL', KEYS[1], item)
elseif kind == 'timer' then
  redis.call('ZREM', KEYS[3], item)
elseif kind == 'lease' then
  redis.call('ZREM', KEYS[4], item)
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'kind', kind, 'item', item, 'job', job_id, 'node', node,
  'reason', reason, 'effect', effect)
return reply(effect)
