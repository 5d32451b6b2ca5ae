-- Starts a built job (build-then-run): READY -> RUNNING (or PENDING while its pipeline is at its
-- running-jobs limit), dispatching every task whose parents are all done, once. Running it again
-- changes nothing: only a READY job starts.
-- KEYS: job, outbox. ARGV: job id, shard
-- Returns {'started', dispatched entries...}, {'gone'} or {<current status>} when the job was not READY.
local job_key = KEYS[1]
local status = redis.call('HGET', job_key, 'status')
if not status then
  return reply('gone')
end
if status ~= 'READY' then
  return reply(status)
end
start_job(job_key, ARGV[1], ARGV[2], now_us())
return reply('started')
