-- Creates a job with its task table and dispatches the tasks that have no parents.
-- KEYS: job, outbox, job index, nodes list, data, content types
-- ARGV: job fields (JSON object), tasks (JSON array), start ('1'/'0'), job id, shard,
--       then triples of input data node, value, content type
if redis.call('EXISTS', KEYS[1]) == 1 then
  return reply('exists')
end
local job_key, outbox = KEYS[1], KEYS[2]
local job_id, shard = ARGV[4], ARGV[5]
local start = ARGV[3] == '1'
local now = now_us()
local job = cjson.decode(ARGV[1])
local tasks = cjson.decode(ARGV[2])
for i = 6, #ARGV, 3 do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 2])
end
for k, v in pairs(job) do
  redis.call('HSET', job_key, k, tostring(v))
end
redis.call('HSET', job_key, 'status', start and 'RUNNING' or 'READY', 'created', now, 'total', #tasks,
  'terminal', 0, 'succeeded', 0, 'failed', 0, 'skipped', 0, 'seq', 0)
if start then
  redis.call('HSET', job_key, 'started', now)
end
redis.call('ZADD', KEYS[3], now, job_id)
local batch = {}
for _, t in ipairs(tasks) do
  table.insert(batch, t.node)
  if #batch == 1000 then
    redis.call('RPUSH', KEYS[4], unpack(batch))
    batch = {}
  end
  redis.call('HSET', job_key .. ':t:' .. t.node, 'state', 'PENDING', 'processor', t.processor, 'pool', t.pool,
    'spec', t.spec, 'in', cjson.encode(t['in']), 'np', t.np, 'ch', cjson.encode(t.ch), 'attempts', 0, 'max', t.max, 'lost', 0)
  if t.sink then
    redis.call('HSET', job_key .. ':t:' .. t.node, 'sink', t.sink)
  end
end
if #batch > 0 then
  redis.call('RPUSH', KEYS[4], unpack(batch))
end
if start then
  for _, t in ipairs(tasks) do
    if t.np == 0 then
      dispatch(job_key, outbox, job_id, shard, t.node, t.pool, now)
    end
  end
end
return reply('created')
