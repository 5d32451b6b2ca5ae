-- Creates a job with its task table and, when it starts now, dispatches the tasks whose parents
-- are all done. Returns the job's status: READY (built), RUNNING or PENDING (pipeline limit).
-- KEYS: job, outbox, job index, nodes list, data, content types
-- ARGV: job fields (JSON object), tasks (JSON array), start ('1'/'0'), job id, shard,
--       then triples of data node, value, content type (job inputs and reused outputs)
-- A task with "done" set reuses outputs of an earlier job: it is created SUCCESS.
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
local pending = 0
for _, t in ipairs(tasks) do
  if not t.done then
    pending = pending + 1
  end
end
redis.call('HSET', job_key, 'status', 'READY', 'created', now, 'total', #tasks, 'n:PENDING', pending,
  'terminal', 0, 'succeeded', 0, 'failed', 0, 'skipped', 0, 'cancelled', 0, 'seq', 0)
redis.call('ZADD', KEYS[3], now, job_id)
local batch = {}
for _, t in ipairs(tasks) do
  table.insert(batch, t.node)
  if #batch == 1000 then
    redis.call('RPUSH', KEYS[4], unpack(batch))
    batch = {}
  end
  local key = job_key .. ':t:' .. t.node
  -- created in its first state (not a transition): PENDING, or SUCCESS when it reuses outputs
  redis.call('HSET', key, 'state', t.done and 'SUCCESS' or 'PENDING', 'processor', t.processor, 'pool', t.pool,
    'spec', t.spec, 'in', cjson.encode(t['in']), 'np', t.np, 'ch', cjson.encode(t.ch), 'attempts', 0, 'max', t.max, 'lost', 0,
    'qt', t.qt, 'to', t.to, 'hb', t.hb, 'bk', t.bk, 'bi', t.bi, 'bm', t.bm, 'bj', t.bj)
  if t.sink then
    redis.call('HSET', key, 'sink', t.sink)
  end
end
if #batch > 0 then
  redis.call('RPUSH', KEYS[4], unpack(batch))
end
for _, t in ipairs(tasks) do
  if t.done then
    redis.call('HSET', job_key .. ':t:' .. t.node, 'reused', t.done, 'ended', now)
    redis.call('SADD', job_key .. ':done', t.node)
    for _, c in ipairs(t.ch) do
      redis.call('SADD', job_key .. ':sat:' .. c, t.node)
    end
    count_terminal(job_key, 'succeeded')
  end
end
if start then
  -- RUNNING, or PENDING while its pipeline is at its running-jobs limit
  return reply(start_job(job_key, job_id, shard, now))
end
return reply('READY')
