-- A worker claims the attempt named by a task message and takes a lease on it.
-- KEYS: task, job, leases, data, timers
-- ARGV: dispatch, attempt id, worker id, default lease ms, lease member, job id, node
-- Returns {'ok', spec, params, attempts, lease ms, µs since READY, input values..., the job's infra JSON or ''},
-- {'missing', data node, processor} (claimed, but an input has no value) or {'stale', state} for a
-- duplicate or superseded message.
local st = redis.call('HMGET', KEYS[1], 'state', 'dispatch', 'spec', 'in', 'hb', 'to', 'readyAt', 'pool')
if not st[1] then
  return {'stale', 'GONE'}
end
if st[1] ~= 'READY' or st[2] ~= ARGV[1] then
  return {'stale', st[1]}
end
local job_status = redis.call('HGET', KEYS[2], 'status')
if job_status ~= 'RUNNING' then
  return {'stale', job_status or 'GONE'}
end
local inputs = cjson.decode(st[4])
local values = {}
if #inputs > 0 then
  values = redis.call('HMGET', KEYS[4], unpack(inputs))
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local now = now_us()
local lease = tonumber(st[5] or '0')
if lease <= 0 then
  lease = tonumber(ARGV[4])
end
redis.call('HSET', KEYS[1], 'state', 'RUNNING', 'attempt', ARGV[2], 'worker', ARGV[3], 'started', now)
redis.call('HDEL', KEYS[1], 'ended', 'handback')
unqueue(KEYS[5], ARGV[6], ARGV[7], st[8])
redis.call('ZADD', KEYS[3], math.floor(now / 1000) + lease, ARGV[5])
local timeout = tonumber(st[6] or '0')
if timeout > 0 then
  redis.call('ZADD', KEYS[5], math.floor(now / 1000) + timeout, 'a|' .. ARGV[6] .. '|' .. ARGV[7] .. '|' .. ARGV[2])
end
for i = 1, #inputs do
  if not values[i] then
    return {'missing', inputs[i], redis.call('HGET', KEYS[1], 'processor') or ''}
  end
end
local result = {'ok', st[3], redis.call('HGET', KEYS[2], 'params') or '{}', tostring(attempts), tostring(lease),
  tostring(now - tonumber(st[7] or now))}
for i = 1, #inputs do
  result[#result + 1] = values[i]
end
-- what the job asks of a worker (config.infra): a worker that cannot offer it refuses the attempt
result[#result + 1] = redis.call('HGET', KEYS[2], 'infra') or ''
return result
