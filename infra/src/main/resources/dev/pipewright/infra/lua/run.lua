-- A run's counters, kept so that reading them costs the run's jobs not yet known to have ended
-- rather than all of its jobs. KEYS[1] '<ns>:{run:<id>}:open': those jobs (the API adds a job
-- there before creating it and takes it back when the job is refused); KEYS[2]
-- '<ns>:{run:<id>}:ended': the jobs that ended, counted by final state ('SUCCESS', 'FAILED',
-- 'CANCELLED'), 'last' the latest time of one of them (µs) and 'since' (ms) when the open set began
-- to be kept. Both keys carry the run's hash tag; the job hashes live in other slots, so the
-- overseer reads the open jobs' status itself and passes what it read. Ended states are final: a
-- job settled here never changes again. ARGV[1] is the operation:
--   init, now (ms), job ids..  -> {'init'} | {'kept'}
--     A run stored before its open set was kept: its jobs (its job index, read by the caller) become
--     its open set, once. A run with 'since' changes nothing, so a reader that read the index
--     before another reader started the set and settled some of its jobs cannot add them back.
--   settle, n, n x (job id, final state, time µs), ids of jobs read open and not ended..
--       -> {succeeded, failed, cancelled, last, positions..}
--     Counts each ended job only if this call takes it out of the open set, so two readers settling
--     the same job count it once. Answers the counts after the call, then the positions (1-based,
--     among the ids read open and not ended) of the jobs no longer open: another reader settled them
--     after they were read, so the counts hold them and the caller must not count them as open too.
local open, ended = KEYS[1], KEYS[2]
local op = ARGV[1]

if op == 'init' then
  if redis.call('HEXISTS', ended, 'since') == 1 then
    return {'kept'}
  end
  -- in slices: unpack() of a whole large run would overflow Lua's stack
  for i = 3, #ARGV, 1000 do
    redis.call('SADD', open, unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
  redis.call('HSET', ended, 'since', ARGV[2])
  return {'init'}
end

if op ~= 'settle' then
  error('unknown run operation ' .. tostring(op))
end
local FINAL = {SUCCESS = true, FAILED = true, CANCELLED = true}
local n = tonumber(ARGV[2])
local first_open = 3 + 3 * n
for i = 3, first_open - 1, 3 do
  if not FINAL[ARGV[i + 1]] or not tonumber(ARGV[i + 2]) then
    error('not an ended job: ' .. tostring(ARGV[i]) .. ' ' .. tostring(ARGV[i + 1]) .. ' ' .. tostring(ARGV[i + 2]))
  end
end
-- 'last' is kept as the text the caller sent (a Lua number would be written as 1.7e+15)
local last = redis.call('HGET', ended, 'last')
local newest = last
for i = 3, first_open - 1, 3 do
  if redis.call('SREM', open, ARGV[i]) == 1 then
    redis.call('HINCRBY', ended, ARGV[i + 1], 1)
    if not newest or tonumber(ARGV[i + 2]) > tonumber(newest) then
      newest = ARGV[i + 2]
    end
  end
end
if newest ~= last then
  redis.call('HSET', ended, 'last', newest)
end
local counts = redis.call('HMGET', ended, 'SUCCESS', 'FAILED', 'CANCELLED', 'last')
local out = {}
for i = 1, 4 do
  out[i] = tonumber(counts[i] or '0')
end
for i = first_open, #ARGV do
  if redis.call('SISMEMBER', open, ARGV[i]) == 0 then
    out[#out + 1] = i - first_open + 1
  end
end
return out
