-- Shared helpers, prepended to every script. Every script checks state before its first write
-- (Lua has no rollback) and derives task keys from the job key, and the shard's timer set from its
-- outbox key: all of them carry the shard's hash tag.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- '<ns>:{sN}:outbox' -> '<ns>:{sN}:<name>'
local function shard_key(outbox, name)
  return string.sub(outbox, 1, -7) .. name
end

-- Outbox entries this script wrote, returned to the caller (id, pool, message) so that it can
-- publish them at once; the outbox relay publishes whatever a crashed caller left behind.
local DISPATCHED = {}

-- Marks a task READY with a fresh dispatch id, appends its message to the shard's outbox and,
-- when the node has a queue timeout, starts that timer.
local function dispatch(job_key, outbox, job_id, shard, node, pool, now)
  local key = job_key .. ':t:' .. node
  local seq = redis.call('HINCRBY', job_key, 'seq', 1)
  redis.call('HSET', key, 'state', 'READY', 'dispatch', seq, 'readyAt', now)
  local message = '{"type":"task","v":1,"job":"' .. job_id .. '","shard":' .. shard .. ',"node":"' .. node .. '","dispatch":' .. seq .. '}'
  local id = redis.call('XADD', outbox, '*', 'p', pool, 'm', message)
  DISPATCHED[#DISPATCHED + 1] = id
  DISPATCHED[#DISPATCHED + 1] = pool
  DISPATCHED[#DISPATCHED + 1] = message
  local qt = tonumber(redis.call('HGET', key, 'qt') or '0')
  if qt > 0 then
    redis.call('ZADD', shard_key(outbox, 'timers'), math.floor(now / 1000) + qt, 'q|' .. job_id .. '|' .. node .. '|' .. seq)
  end
  return seq
end

-- A reply: a status followed by the dispatched outbox entries.
local function reply(status)
  local out = {status}
  for i = 1, #DISPATCHED do
    out[i + 1] = DISPATCHED[i]
  end
  return out
end

-- The status a job ended with in this script, if it did (reported for metrics).
local JOB_END = nil

-- Counts a task as ended and, once every task has, ends the job.
local function count_terminal(job_key, field)
  redis.call('HINCRBY', job_key, field, 1)
  local terminal = redis.call('HINCRBY', job_key, 'terminal', 1)
  local total = tonumber(redis.call('HGET', job_key, 'total'))
  if terminal >= total then
    local j = redis.call('HMGET', job_key, 'status', 'failed', 'endAs')
    if j[1] == 'RUNNING' then
      JOB_END = tonumber(j[2] or '0') > 0 and 'FAILED' or 'SUCCESS'
      redis.call('HSET', job_key, 'status', JOB_END, 'finished', now_us())
    elseif j[1] == 'CANCELLING' then
      JOB_END = j[3] or 'CANCELLED'
      redis.call('HSET', job_key, 'status', JOB_END, 'finished', now_us())
    end
  end
end

-- Marks every PENDING descendant of node SKIPPED, each counted once.
local function skip_descendants(job_key, node, reason)
  local stack = cjson.decode(redis.call('HGET', job_key .. ':t:' .. node, 'ch') or '[]')
  while #stack > 0 do
    local d = table.remove(stack)
    local key = job_key .. ':t:' .. d
    if redis.call('HGET', key, 'state') == 'PENDING' and redis.call('SADD', job_key .. ':done', d) == 1 then
      redis.call('HSET', key, 'state', 'SKIPPED', 'error', reason, 'ended', now_us())
      count_terminal(job_key, 'skipped')
      for _, c in ipairs(cjson.decode(redis.call('HGET', key, 'ch') or '[]')) do
        table.insert(stack, c)
      end
    end
  end
end

-- Delay before retry number n (1-based) from the task's back-off; mirrors RetryPolicy.delayBefore.
local function retry_delay(task_key, n)
  local b = redis.call('HMGET', task_key, 'bk', 'bi', 'bm', 'bj')
  local initial = tonumber(b[2] or '0')
  local max_delay = tonumber(b[3] or '0')
  local jitter = tonumber(b[4] or '0')
  local base = initial
  if b[1] == 'LINEAR' then
    base = initial * n
  elseif b[1] == 'EXPONENTIAL' then
    base = initial * (2 ^ math.max(0, n - 1))
  end
  if max_delay > 0 and base > max_delay then
    base = max_delay
  end
  local spread = base * jitter * (2 * math.random() - 1)
  return math.max(0, math.floor(base + spread + 0.5))
end

-- An attempt ended without success. While the job runs, the failure is retryable and retries
-- remain, the task waits for a retry timer; otherwise it ends in final_state and a completion
-- event tells the overseer. Returns 'retry' or 'ended'.
local function end_attempt(job_key, events, job_id, node, attempt, reason, retryable, final_state)
  local key = job_key .. ':t:' .. node
  local st = redis.call('HMGET', key, 'attempts', 'max', 'lost', 'handbacks')
  -- attempts cut short by a lost lease or a hand-back do not use up the node's retries
  local used = tonumber(st[1]) - tonumber(st[3] or '0') - tonumber(st[4] or '0')
  local now = now_us()
  local job = redis.call('HMGET', job_key, 'status', 'stopAs')
  if job[1] == 'CANCELLING' then
    final_state = job[2] or 'CANCELLED'
    retryable = false
  end
  if retryable and used <= tonumber(st[2]) then
    redis.call('HSET', key, 'state', 'RETRY_WAIT', 'error', reason, 'ended', now)
    redis.call('ZADD', shard_key(events, 'timers'), math.floor(now / 1000) + retry_delay(key, used),
      'r|' .. job_id .. '|' .. node)
    return 'retry'
  end
  redis.call('HSET', key, 'state', final_state, 'error', reason, 'ended', now)
  redis.call('XADD', events, '*', 'j', job_id, 'n', node, 'a', attempt, 'o', final_state == 'CANCELLED' and 'cancel' or 'fail')
  return 'ended'
end

-- Stops a job: tasks that are not running end now (CANCELLED); running attempts are told to stop
-- by the caller and end as stop_as when they do. The job ends as end_as once every task has.
local function stop_job(job_key, job_id, end_as, stop_as, reason)
  local status = redis.call('HGET', job_key, 'status')
  if not status then
    return 'gone', 0
  end
  if status ~= 'RUNNING' and status ~= 'READY' then
    return status, 0
  end
  local now = now_us()
  redis.call('HSET', job_key, 'status', 'CANCELLING', 'endAs', end_as, 'stopAs', stop_as, 'reason', reason)
  if status == 'READY' then
    redis.call('HSET', job_key, 'started', now)
  end
  local running = 0
  for _, node in ipairs(redis.call('LRANGE', job_key .. ':nodes', 0, -1)) do
    local key = job_key .. ':t:' .. node
    local s = redis.call('HGET', key, 'state')
    if s == 'PENDING' or s == 'READY' or s == 'RETRY_WAIT' then
      if redis.call('SADD', job_key .. ':done', node) == 1 then
        redis.call('HSET', key, 'state', 'CANCELLED', 'error', reason, 'ended', now)
        count_terminal(job_key, 'cancelled')
      end
    elseif s == 'RUNNING' then
      running = running + 1
    end
  end
  if redis.call('HGET', job_key, 'status') == 'CANCELLING' and
      tonumber(redis.call('HGET', job_key, 'terminal')) >= tonumber(redis.call('HGET', job_key, 'total')) then
    redis.call('HSET', job_key, 'status', end_as, 'finished', now)
  end
  return 'stopping', running
end
