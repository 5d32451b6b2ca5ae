-- Concurrency limits' slots and wait lists, in the '{limits}' slot of a Redis Cluster: KEYS[1] is the
-- limits hash '<ns>:{limits}' ('<kind>:<name>' -> max); beside it '<ns>:{limits}:slots:<kind>:<name>'
-- (members holding a slot) and '<ns>:{limits}:held:<kind>:<name>' (members waiting, scored by
-- priority, then age). Shard scripts ask for slots and give them back through their callers (see
-- SLOTS in lib.lua); this script decides who holds one. Members are '<shard>|<job>|<node>' (a task,
-- kind 'processor') or '<shard>|<job>' (a job, kind 'pipeline').
-- ARGV[1] is the operation:
--   set, kind, name, max ('' removes the limit)
--     A removed limit drops its slots and lets every waiting member go on.
--   slots, then per request: 'a' (take), kind, name, member, wait score | 'r' (give back), kind, name,
--       member, ''
--     Taking is idempotent: a member that holds a slot is granted it again, a waiting one keeps its
--     place. Giving back also ends a wait.
-- Returns the members granted a slot (or let go by a removed limit): kind, name, member for each.
local config = KEYS[1]
local granted = {}

local function limit_of(kind, name)
  local max = redis.call('HGET', config, kind .. ':' .. name)
  return max and tonumber(max) or nil
end

local function grant(kind, name, member)
  granted[#granted + 1] = kind
  granted[#granted + 1] = name
  granted[#granted + 1] = member
end

-- Hands free slots to the best waiting members; without a limit, lets every waiting member go.
local function pump(kind, name)
  local slots = config .. ':slots:' .. kind .. ':' .. name
  local waiting = config .. ':held:' .. kind .. ':' .. name
  local limit = limit_of(kind, name)
  while not limit or redis.call('SCARD', slots) < limit do
    local next = redis.call('ZPOPMIN', waiting)
    if #next == 0 then
      return
    end
    if limit then
      redis.call('SADD', slots, next[1])
    end
    grant(kind, name, next[1])
  end
end

if ARGV[1] == 'set' then
  local kind, name, max = ARGV[2], ARGV[3], ARGV[4]
  if max == '' then
    redis.call('HDEL', config, kind .. ':' .. name)
    redis.call('DEL', config .. ':slots:' .. kind .. ':' .. name)
  else
    redis.call('HSET', config, kind .. ':' .. name, max)
  end
  pump(kind, name)
  return granted
end

if ARGV[1] ~= 'slots' then
  return redis.error_reply('unknown limits operation ' .. tostring(ARGV[1]))
end
local touched = {}
local order = {}
for i = 2, #ARGV, 5 do
  local what, kind, name, member, score = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local slots = config .. ':slots:' .. kind .. ':' .. name
  local waiting = config .. ':held:' .. kind .. ':' .. name
  local changed = false
  if what == 'a' then
    if not limit_of(kind, name) or redis.call('SISMEMBER', slots, member) == 1 then
      grant(kind, name, member) -- no limit (any more), or a repeated request
    else
      redis.call('ZADD', waiting, 'NX', score, member)
      changed = true
    end
  else
    redis.call('ZREM', waiting, member)
    changed = redis.call('SREM', slots, member) == 1
  end
  local limit_key = kind .. '\n' .. name
  if changed and not touched[limit_key] then
    touched[limit_key] = true
    order[#order + 1] = {kind, name}
  end
end
for _, l in ipairs(order) do
  pump(l[1], l[2])
end
return granted
