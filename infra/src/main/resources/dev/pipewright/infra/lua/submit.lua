-- Creates a job with its task table (or the first chunk of it) and, when it starts now, dispatches
-- the tasks whose parents are all done. A job of many tasks is written in chunks (submit_chunk.lua
-- writes the others, in execution order), so its first tasks run while the rest are written and no
-- call holds Redis for long; until its last chunk the job is 'building', with a timer that fails
-- it if the writer stops short (an overseer crash).
-- Returns the job's status: READY (built), RUNNING or PENDING (pipeline limit).
-- KEYS: job, outbox, job index, nodes list, data, content types
-- ARGV: job fields (JSON object), tasks (JSON array), start ('1'/'0'), job id, shard, the job's
--       number of tasks in all chunks, more ('1' when chunks follow), build patience (ms),
--       then triples of data node, value, content type (job inputs and reused outputs)
-- A task with "done" set reuses outputs of an earlier job: it is created SUCCESS (CACHED when "cached"
-- is set too: a memoised result, its outputs among the triples).
if redis.call('EXISTS', KEYS[1]) == 1 then
  return reply('exists')
end
local job_key, outbox = KEYS[1], KEYS[2]
local job_id, shard = ARGV[4], ARGV[5]
local start = ARGV[3] == '1'
local now = now_us()
local job = cjson.decode(ARGV[1])
local tasks = cjson.decode(ARGV[2])
for i = 9, #ARGV, 3 do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 2])
end
for k, v in pairs(job) do
  redis.call('HSET', job_key, k, tostring(v))
end
redis.call('HSET', job_key, 'status', 'READY', 'created', now, 'total', tonumber(ARGV[6]),
  'terminal', 0, 'succeeded', 0, 'failed', 0, 'skipped', 0, 'cancelled', 0, 'seq', 0, 'n:PENDING', 0)
redis.call('ZADD', KEYS[3], now, job_id)
if ARGV[7] == '1' then
  redis.call('HSET', job_key, 'building', '1')
  redis.call('ZADD', shard_key(outbox, 'timers'), math.floor(now / 1000) + tonumber(ARGV[8]), 'b|' .. job_id)
end
write_tasks(job_key, job_id, shard, outbox, tasks, now, false)
if start then
  -- RUNNING, or PENDING while its pipeline is at its running-jobs limit
  return reply(start_job(job_key, job_id, shard, now))
end
return reply('READY')
