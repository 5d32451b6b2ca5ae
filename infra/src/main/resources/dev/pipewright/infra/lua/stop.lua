-- Cancels a job. KEYS: job. ARGV: job id, reason
-- Returns {'stopping', running attempts} or {status} when the job had already ended.
local r, running = stop_job(KEYS[1], ARGV[1], 'CANCELLED', 'CANCELLED', ARGV[2])
return {r, tostring(running)}
