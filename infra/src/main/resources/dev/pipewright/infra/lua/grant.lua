-- Hands concurrency slots, taken in the '{limits}' slot (limits.lua), to the tasks and jobs of this
-- shard that waited for them, and asks again for waits that may have been lost (see SLOTS in lib.lua).
-- KEYS: the shard's outbox. ARGV[1] is the operation:
--   grant, then per slot: kind, member ('<shard>|<job>|<node>' for 'processor', '<shard>|<job>' for
--       'pipeline')
--     A waiting task is dispatched, a PENDING job started. Returns reply(<one status per slot, joined
--     by ','>): 'ok' (handed over), 'had' (it held the slot already: a repeated request) or 'unused'
--     (it no longer waits: ended, cancelled or removed; the caller gives the slot back).
--   ask, cutoff (ms), max
--     Asks again for at most max waits that began before cutoff, still waiting (a caller may have
--     died between asking and granting), and forgets the ones that do not. Returns reply('asked').
--   check, then per slot: kind, member
--     Whether each slot holder still holds or waits: reply(<'live' or 'gone' per slot, joined by ','>).
local outbox = KEYS[1]
local prefix = shard_prefix(outbox)
local shard = shard_of(outbox)
local waits = prefix .. 'held'

local function parts(member)
  local job_id, node = string.match(member, '^[^|]+|([^|]+)|(.+)$')
  if job_id then
    return job_id, node
  end
  return string.match(member, '^[^|]+|([^|]+)$'), nil
end

-- A task's state, whether it waits, its pool, whether it holds a slot, its processor; a job's status
-- and whether it holds a slot.
local function task_of(job_key, node)
  return redis.call('HMGET', job_key .. ':t:' .. node, 'state', 'held', 'pool', 'slot', 'processor')
end

local function job_of(job_key)
  return redis.call('HMGET', job_key, 'status', 'slot', 'pipeline')
end

local op = ARGV[1]
if op == 'grant' then
  local statuses = {}
  local now = now_us()
  for i = 2, #ARGV, 2 do
    local kind = ARGV[i]
    local job_id, node = parts(ARGV[i + 1])
    local job_key = prefix .. 'job:' .. job_id
    local status = 'unused'
    if kind == 'processor' and node then
      local t = task_of(job_key, node)
      if t[4] then
        status = 'had'
      elseif t[1] == 'READY' and t[2] == '1' and redis.call('HGET', job_key, 'status') == 'RUNNING' then
        redis.call('HSET', job_key .. ':t:' .. node, 'slot', '1')
        redis.call('ZREM', waits, 't|' .. job_id .. '|' .. node)
        dispatch(job_key, outbox, job_id, shard, node, t[3], now, 'READY')
        status = 'ok'
      end
    elseif kind == 'pipeline' then
      local j = job_of(job_key)
      if j[2] then
        status = 'had'
      elseif j[1] == 'PENDING' then
        redis.call('HSET', job_key, 'slot', '1')
        redis.call('ZREM', waits, 'j|' .. job_id)
        start_job(job_key, job_id, shard, now)
        status = 'ok'
      end
    end
    statuses[#statuses + 1] = status
  end
  return reply(table.concat(statuses, ','))
end

if op == 'ask' then
  for _, waiting in ipairs(redis.call('ZRANGEBYSCORE', waits, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
    local job_id, node = string.match(waiting, '^t|([^|]+)|(.+)$')
    local still = false
    if job_id then
      local job_key = prefix .. 'job:' .. job_id
      local t = task_of(job_key, node)
      if t[1] == 'READY' and t[2] == '1' and not t[4] and t[5] then
        SLOTS[#SLOTS + 1] = 'a|processor|' .. t[5] .. '|' .. shard .. '|' .. job_id .. '|' .. node .. '|' .. wait_score(job_key)
        still = true
      end
    else
      job_id = string.match(waiting, '^j|(.+)$')
      local job_key = prefix .. 'job:' .. (job_id or '')
      local j = job_id and job_of(job_key) or {}
      if j[1] == 'PENDING' and not j[2] and j[3] then
        SLOTS[#SLOTS + 1] = 'a|pipeline|' .. j[3] .. '|' .. shard .. '|' .. job_id .. '|' .. wait_score(job_key)
        still = true
      end
    end
    if still then
      redis.call('ZADD', waits, 'XX', now_ms(), waiting)
    else
      redis.call('ZREM', waits, waiting)
    end
  end
  return reply('asked')
end

if op == 'check' then
  local statuses = {}
  for i = 2, #ARGV, 2 do
    local kind = ARGV[i]
    local job_id, node = parts(ARGV[i + 1])
    local job_key = prefix .. 'job:' .. (job_id or '')
    local live = false
    if job_id and kind == 'processor' and node then
      local t = task_of(job_key, node)
      live = t[4] ~= false or (t[1] == 'READY' and t[2] == '1')
    elseif job_id and kind == 'pipeline' then
      local j = job_of(job_key)
      live = j[2] ~= false or j[1] == 'PENDING'
    end
    statuses[#statuses + 1] = live and 'live' or 'gone'
  end
  return reply(table.concat(statuses, ','))
end

return redis.error_reply('unknown grant operation ' .. tostring(op))
