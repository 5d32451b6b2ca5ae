-- A pipeline's schedule and its fires. The overseer computes every cron time (the library lives
-- there); this script keeps the schedule, the set of next fire times and the fire claims
-- consistent with each other, so that each fire submits exactly one job however many overseers
-- look at it, and a crash between claiming a fire and submitting its job resubmits the same job.
-- KEYS: schedules (zset: pipeline id -> next fire ms), the pipeline's schedule hash.
--       A fire's claim key is derived from the hash key ('<hash>:fire:<ms>'; the same {sched} tag).
-- ARGV: op, pipeline id, then per op:
--   set     version, owner, cron, start, end, zone, next ('' none) -> {'ok', paused '1'|'0'} | {'stale'}
--   unset   version                                                 -> {'ok'} | {'stale'}
--   remove                                                          -> {'ok'}
--   pause                                                           -> {'ok'} | {'none'}
--   resume  next ('' none)                                          -> {'ok'} | {'running'} | {'none'}
--   claim   due ms, fire ms, job id                                 -> {'claimed', fire ms, job id} | {'stale'|'paused'|'gone'}
--   advance due ms, fire ms, next ('' none), job id, outcome, error -> {'ok'} | {'stale'}
-- A newer version's schedule is never overwritten by an older one ('stale'). 'claim' pins the fire
-- time in the hash until 'advance' settles it, so a fire retried after a crash keeps its time and
-- its job id even when later cron times have passed meanwhile.
local zset, hash = KEYS[1], KEYS[2]
local op, id = ARGV[1], ARGV[2]
local FIRE_TTL = 7 * 24 * 3600

local function fire_key(ms)
  return hash .. ':fire:' .. ms
end

-- Forgets a claimed, unsettled fire (the schedule changed, paused or went): whoever holds it still
-- submits its job id once; its claim key expires like a settled one.
local function drop_claim()
  local pinned = redis.call('HGET', hash, 'claim')
  if pinned then
    redis.call('EXPIRE', fire_key(pinned), FIRE_TTL)
    redis.call('HDEL', hash, 'claim')
  end
end

local function set_next(next)
  if next == '' then
    redis.call('HDEL', hash, 'next')
    redis.call('ZREM', zset, id)
  else
    redis.call('HSET', hash, 'next', next)
    redis.call('ZADD', zset, next, id)
  end
end

local function newer_version_held(version)
  local current = redis.call('HGET', hash, 'version')
  return current and tonumber(current) > tonumber(version)
end

if op == 'set' then
  if newer_version_held(ARGV[3]) then
    return {'stale'}
  end
  redis.call('HSET', hash, 'version', ARGV[3], 'owner', ARGV[4], 'cron', ARGV[5], 'updated', now_ms())
  local optional = {start = ARGV[6], ['end'] = ARGV[7], zone = ARGV[8]}
  for field, value in pairs(optional) do
    if value == '' then
      redis.call('HDEL', hash, field)
    else
      redis.call('HSET', hash, field, value)
    end
  end
  -- the new definition starts from its own next time
  drop_claim()
  local paused = redis.call('HGET', hash, 'paused') == '1'
  if paused then
    set_next('')
  else
    set_next(ARGV[9])
  end
  return {'ok', paused and '1' or '0'}
elseif op == 'unset' then
  if newer_version_held(ARGV[3]) then
    return {'stale'}
  end
  -- keep only the version, so that an older version's schedule arriving late cannot come back
  drop_claim()
  redis.call('DEL', hash)
  redis.call('HSET', hash, 'version', ARGV[3])
  redis.call('ZREM', zset, id)
  return {'ok'}
elseif op == 'remove' then
  drop_claim()
  redis.call('DEL', hash)
  redis.call('ZREM', zset, id)
  return {'ok'}
end

if redis.call('HEXISTS', hash, 'cron') == 0 then
  redis.call('ZREM', zset, id)
  if op == 'claim' then
    return {'gone'}
  end
  return {'none'}
end

if op == 'pause' then
  if redis.call('HGET', hash, 'paused') ~= '1' then
    redis.call('HSET', hash, 'paused', '1', 'paused_at', now_ms())
    drop_claim()
    set_next('')
  end
  return {'ok'}
elseif op == 'resume' then
  if redis.call('HGET', hash, 'paused') ~= '1' then
    return {'running'}
  end
  redis.call('HDEL', hash, 'paused', 'paused_at')
  set_next(ARGV[3])
  return {'ok'}
elseif op == 'claim' then
  local due, fire, job = ARGV[3], ARGV[4], ARGV[5]
  if redis.call('HGET', hash, 'paused') == '1' then
    redis.call('ZREM', zset, id) -- a leftover entry: a paused schedule has none
    return {'paused'}
  end
  if redis.call('HGET', hash, 'next') ~= due then
    -- settled meanwhile, or the schedule changed: the set follows the hash (a no-op unless they differ)
    set_next(redis.call('HGET', hash, 'next') or '')
    return {'stale'}
  end
  local pinned = redis.call('HGET', hash, 'claim')
  if pinned then
    fire = pinned
  else
    redis.call('HSET', hash, 'claim', fire)
  end
  -- no expiry until the fire is settled: a claim outlives any outage
  redis.call('SET', fire_key(fire), job, 'NX')
  return {'claimed', fire, redis.call('GET', fire_key(fire))}
elseif op == 'advance' then
  local due, fire, next, job, outcome, err = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
  if redis.call('HGET', hash, 'next') ~= due or redis.call('HGET', hash, 'claim') ~= fire then
    return {'stale'}
  end
  redis.call('HDEL', hash, 'claim')
  redis.call('HSET', hash, 'last_fire', fire, 'last_job', job, 'last_outcome', outcome)
  if err == '' then
    redis.call('HDEL', hash, 'last_error')
  else
    redis.call('HSET', hash, 'last_error', err)
  end
  redis.call('EXPIRE', fire_key(fire), FIRE_TTL)
  set_next(next)
  return {'ok'}
end
return redis.error_reply('schedule.lua: unknown op ' .. tostring(op))
