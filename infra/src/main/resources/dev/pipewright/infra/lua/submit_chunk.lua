-- Writes the next chunk of a job's tasks (see submit.lua), in execution order: a task whose parents
-- are all done is dispatched at once if the job runs, one below a parent that ended without success
-- is skipped, and in a job being stopped it is cancelled. The last chunk ends the building.
-- KEYS: job, outbox. ARGV: job id, shard, tasks (JSON array), last ('1'/'0'), build patience (ms)
-- Returns reply('written'), or reply('gone') when the job is not being built (any more).
local job_key, outbox = KEYS[1], KEYS[2]
local job_id, shard = ARGV[1], ARGV[2]
if redis.call('HGET', job_key, 'building') ~= '1' then
  return reply('gone')
end
local now = now_us()
write_tasks(job_key, job_id, shard, outbox, cjson.decode(ARGV[3]), now, true)
local timers = shard_key(outbox, 'timers')
if ARGV[4] == '1' then
  redis.call('HDEL', job_key, 'building')
  redis.call('ZREM', timers, 'b|' .. job_id)
else
  redis.call('ZADD', timers, math.floor(now / 1000) + tonumber(ARGV[5]), 'b|' .. job_id)
end
return reply('written')
