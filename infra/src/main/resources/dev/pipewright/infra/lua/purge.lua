-- Removes an ended job, in bounded steps: a job of 100,000 tasks has some 400,000 keys, and no call
-- may hold Redis for long. The first step deletes the job hash (from then on the job reads as no
-- job: 404), takes it out of the shard's job index and expiry set and records it in the shard's
-- purging set; every step, the first included, then removes at most 'batch' more of its keys: per
-- task (from the end of ':nodes') its hash, its satisfied-parents set and its logs, then the job's
-- own sets, hashes and streams, and last the purging record. UNLINK frees big values (a ':data' hash
-- of large consumables, a log stream) off the main thread. A step whose job is no longer purging
-- changes nothing, so two sweepers, or a sweeper and a DELETE, may work the same job.
-- KEYS: job. ARGV: operation, job id, batch (keys per call; one task's keys are never split, so a
-- task with more logs than that goes alone)
--   remove, id, batch, 'expired'|'deleted' -> {'removed', keys, done} | {'active', status}
--       | {'notdue', due ms} | {'gone', 0, 1}
--     'expired' removes the job only if its expiry has come (Redis's clock); 'deleted' whenever it
--     has ended. Only SUCCESS, FAILED and CANCELLED jobs are removed: ended states are final.
--   step, id, batch -> {'step', keys, done} | {'gone', 0, 1}
local job_key = KEYS[1]
local op, job_id, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local prefix = shard_prefix(job_key)
local purging = prefix .. 'purging'
local ENDED = {SUCCESS = true, FAILED = true, CANCELLED = true}

-- Removes keys of a purging job, at most 'batch' names (at least one task's), tasks first.
local function purge_step()
  local removed = 0
  local nodes = job_key .. ':nodes'
  while true do
    local node = redis.call('LINDEX', nodes, -1)
    if not node then
      break
    end
    local task = job_key .. ':t:' .. node
    local attempts = tonumber(redis.call('HGET', task, 'attempts') or '0') or 0
    local names = {task, job_key .. ':sat:' .. node, task .. ':log'}
    for a = 1, attempts do
      names[#names + 1] = task .. ':log:' .. a
    end
    if removed > 0 and removed + #names > batch then
      return removed, 0
    end
    redis.call('UNLINK', unpack(names))
    redis.call('RPOP', nodes)
    removed = removed + #names
  end
  local rest = {job_key .. ':data', job_key .. ':ctype', job_key .. ':done', job_key .. ':running', job_key .. ':logs', nodes}
  if removed > 0 and removed + #rest > batch then
    return removed, 0
  end
  redis.call('UNLINK', unpack(rest))
  redis.call('SREM', purging, job_id)
  return removed + #rest, 1
end

if op == 'step' then
  if redis.call('SISMEMBER', purging, job_id) == 0 then
    return {'gone', 0, 1}
  end
  local removed, done = purge_step()
  return {'step', removed, done}
end
if op ~= 'remove' then
  error('unknown purge operation ' .. tostring(op))
end
local status = redis.call('HGET', job_key, 'status')
if not status then
  redis.call('ZREM', prefix .. 'expiry', job_id)
  if redis.call('SISMEMBER', purging, job_id) == 1 then
    local removed, done = purge_step()
    return {'removed', removed, done}
  end
  return {'gone', 0, 1}
end
if not ENDED[status] then
  return {'active', status}
end
if ARGV[4] == 'expired' then
  local due = redis.call('ZSCORE', prefix .. 'expiry', job_id)
  if not due or tonumber(due) > now_ms() then
    return {'notdue', due or ''}
  end
end
redis.call('UNLINK', job_key)
redis.call('ZREM', prefix .. 'jobs', job_id)
redis.call('ZREM', prefix .. 'expiry', job_id)
redis.call('ZREM', prefix .. 'timers', 'd|' .. job_id, 'b|' .. job_id)
redis.call('SADD', purging, job_id)
batch = math.max(1, batch - 1)
local removed, done = purge_step()
return {'removed', removed + 1, done}
