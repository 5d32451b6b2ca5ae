-- Cancels a job. KEYS: job. ARGV: job id, reason
-- Returns '<status>:<running attempts>' ('stopping:N', or the status of a job that had already
-- ended, or 'gone'), then the outbox entries of held tasks the freed slots dispatched.
local r, running = stop_job(KEYS[1], ARGV[1], 'CANCELLED', 'CANCELLED', ARGV[2])
return reply(r .. ':' .. tostring(running))
