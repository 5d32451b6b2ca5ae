-- Shared helpers, prepended to every script. Every script checks state before its first write
-- (Lua has no rollback) and derives task keys from the job key, which carries the shard's hash tag.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- Outbox entries this script wrote, returned to the caller (id, pool, message) so that it can
-- publish them at once; the outbox relay publishes whatever a crashed caller left behind.
local DISPATCHED = {}

-- Marks a task READY with a fresh dispatch id and appends its message to the shard's outbox.
local function dispatch(job_key, outbox, job_id, shard, node, pool, now)
  local seq = redis.call('HINCRBY', job_key, 'seq', 1)
  redis.call('HSET', job_key .. ':t:' .. node, 'state', 'READY', 'dispatch', seq, 'readyAt', now)
  local message = '{"type":"task","v":1,"job":"' .. job_id .. '","shard":' .. shard .. ',"node":"' .. node .. '","dispatch":' .. seq .. '}'
  local id = redis.call('XADD', outbox, '*', 'p', pool, 'm', message)
  DISPATCHED[#DISPATCHED + 1] = id
  DISPATCHED[#DISPATCHED + 1] = pool
  DISPATCHED[#DISPATCHED + 1] = message
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

-- Counts a task as ended and, once every task has, ends the job.
local function count_terminal(job_key, field)
  redis.call('HINCRBY', job_key, field, 1)
  local terminal = redis.call('HINCRBY', job_key, 'terminal', 1)
  local total = tonumber(redis.call('HGET', job_key, 'total'))
  if terminal >= total then
    local status = redis.call('HGET', job_key, 'status')
    if status == 'RUNNING' then
      local failed = tonumber(redis.call('HGET', job_key, 'failed') or '0')
      redis.call('HSET', job_key, 'status', failed > 0 and 'FAILED' or 'SUCCESS', 'finished', now_us())
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
