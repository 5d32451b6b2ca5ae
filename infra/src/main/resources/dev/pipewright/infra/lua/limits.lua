-- Sets or removes a concurrency limit, then dispatches the held tasks (or starts the PENDING jobs)
-- the new limit lets through. Removing a limit also drops its slot set.
-- KEYS: limits hash ('<ns>:limits'). ARGV: kind ('processor' or 'pipeline'), name, max ('' removes it)
-- Returns 'ok', then the outbox entries it dispatched.
local ns = string.sub(KEYS[1], 1, -8) -- '<ns>:limits'
local field = ARGV[1] .. ':' .. ARGV[2]
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], field)
  redis.call('DEL', ns .. ':slots:' .. ARGV[1] .. ':' .. ARGV[2])
else
  redis.call('HSET', KEYS[1], field, ARGV[3])
end
if ARGV[1] == 'processor' then
  pump_processor(ns, ARGV[2])
else
  pump_pipeline(ns, ARGV[2])
end
return reply('ok')
