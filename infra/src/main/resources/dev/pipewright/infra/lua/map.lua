-- Expands a RUNNING group (a node that runs once per item of a mapped list) by one chunk: writes
-- items from..from+k-1 as tasks '<group>[<i>]' and dispatches them, and, when the group reads the
-- list itself, the items' values as consumables '<list>[<i>]'. A chunk applies only at the group's
-- 'next' index, so a replayed or doubled call writes nothing twice; each call moves the group's
-- 'm|' timer out by the patience (an overseer that dies mid-expansion leaves it due for the next
-- owner, which resumes at 'next'), and the last chunk removes it. An empty list ends the group at once.
-- KEYS: job, outbox. ARGV: job id, shard, group, from, n (items in all), patience (ms), then the
--       chunk's item values (k of them: the list's items; none for a group that reads no list
--       itself, when ARGV[7] gives k)
-- n = -1: the list cannot be split (not a JSON array; ARGV[7] says why): the group fails.
-- Returns reply(<next index>), reply('done'), reply('stop') (the group or job no longer runs) or
-- reply('skip:<next>') (this chunk is not the next one).
local job_key, outbox = KEYS[1], KEYS[2]
local job_id, shard, node = ARGV[1], ARGV[2], ARGV[3]
local from, n, patience = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local key = job_key .. ':t:' .. node
local timers = shard_key(outbox, 'timers')
local member = 'm|' .. job_id .. '|' .. node
local g = redis.call('HMGET', key, 'state', 'next', 'map', 'in', 'processor', 'pool', 'max', 'qt', 'to', 'hb', 'bk', 'bi', 'bm', 'bj')
if g[1] ~= 'RUNNING' or not g[3] or redis.call('HGET', job_key, 'status') ~= 'RUNNING' then
  redis.call('ZREM', timers, member)
  return reply('stop')
end
local next_index = tonumber(g[2] or '0')
if next_index ~= from then
  return reply('skip:' .. next_index)
end
if n < 0 then
  -- the list is not a JSON array: the group fails with the reason in ARGV[7]
  redis.call('HSET', key, 'n', 0, 'left', 0, 'bad', 1)
  end_group(job_key, job_id, node)
  redis.call('HSET', key, 'error', ARGV[7])
  return reply('done')
end
if from == 0 then
  redis.call('HSET', key, 'n', n, 'left', n, 'bad', 0)
  if n == 0 then
    redis.call('HSET', key, 'next', 0)
    end_group(job_key, job_id, node)
    return reply('done')
  end
end
local map = cjson.decode(g[3])
local per_item = {}
for _, name in ipairs(map.i) do
  per_item[name] = true
end
local split = per_item[map.l]
local k = #ARGV - 6
if not split then
  k = tonumber(ARGV[7])
end
k = math.min(k, n - from)
local inputs = cjson.decode(g[4])
local now = now_us()
local names = {}
for j = 0, k - 1 do
  local i = from + j
  local suffix = '[' .. i .. ']'
  local item = node .. suffix
  if split and redis.call('HSETNX', job_key .. ':data', map.l .. suffix, ARGV[7 + j]) == 1 then
    redis.call('HSET', job_key .. ':ctype', map.l .. suffix, 'application/json')
  end
  local item_inputs = {}
  for x, name in ipairs(inputs) do
    item_inputs[x] = per_item[name] and (name .. suffix) or name
  end
  -- created PENDING (counted below), then dispatched: its parents are its group's, all done
  redis.call('HSET', job_key .. ':t:' .. item, 'state', 'PENDING', 'processor', g[5], 'pool', g[6],
    'in', cjson.encode(item_inputs), 'np', 0, 'attempts', 0, 'max', g[7], 'lost', 0,
    'qt', g[8], 'to', g[9], 'hb', g[10], 'bk', g[11], 'bi', g[12], 'bm', g[13], 'bj', g[14])
  names[#names + 1] = item
end
if k > 0 then
  redis.call('RPUSH', job_key .. ':nodes', unpack(names))
  redis.call('HINCRBY', job_key, 'total', k)
  redis.call('HINCRBY', job_key, 'n:PENDING', k)
  redis.call('HINCRBY', key, 'i:PENDING', k)
  for _, item in ipairs(names) do
    dispatch(job_key, outbox, job_id, shard, item, g[6], now, 'PENDING')
  end
end
local after = from + k
redis.call('HSET', key, 'next', after)
if after >= n then
  redis.call('ZREM', timers, member)
  redis.call('HSET', key, 'expanded', now_us())
  return reply('done')
end
redis.call('ZADD', timers, now_ms() + patience, member)
return reply(tostring(after))
