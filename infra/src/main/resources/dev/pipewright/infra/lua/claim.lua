-- A worker claims the attempts named by task messages (a batch, all of one shard) and takes a lease
-- on each.
-- KEYS: the shard's leases, timers
-- ARGV: worker id, default lease ms, then per attempt: job id, node, dispatch, attempt id
-- Returns one reply per attempt, in order: {'ok', spec, params, attempts, lease ms, µs since READY,
-- the job's infra JSON or '', input values...}, {'missing', data node, processor} (claimed, but an
-- input has no value) or {'stale', state} for a duplicate or superseded message.
local prefix = shard_prefix(KEYS[1])
local out = {}
local now = now_us()
for i = 3, #ARGV, 4 do
  local job_id, node, dispatch_id, attempt_id = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local job_key = prefix .. 'job:' .. job_id
  local key = job_key .. ':t:' .. node
  local st = redis.call('HMGET', key, 'state', 'dispatch', 'spec', 'in', 'hb', 'to', 'readyAt', 'pool', 'processor')
  local job = redis.call('HMGET', job_key, 'status', 'params', 'infra')
  if not st[1] then
    out[#out + 1] = {'stale', 'GONE'}
  elseif st[1] ~= 'READY' or st[2] ~= dispatch_id then
    out[#out + 1] = {'stale', st[1]}
  elseif job[1] ~= 'RUNNING' then
    out[#out + 1] = {'stale', job[1] or 'GONE'}
  else
    local inputs = cjson.decode(st[4])
    local values = {}
    if #inputs > 0 then
      values = redis.call('HMGET', job_key .. ':data', unpack(inputs))
    end
    local attempts = redis.call('HINCRBY', key, 'attempts', 1)
    local lease = tonumber(st[5] or '0')
    if lease <= 0 then
      lease = tonumber(ARGV[2])
    end
    unqueue(KEYS[2], job_id, node, st[8])
    set_state(job_key, node, 'READY', 'RUNNING', 'attempt', attempt_id, 'worker', ARGV[1], 'started', now)
    redis.call('HDEL', key, 'ended', 'handback')
    redis.call('ZADD', KEYS[1], math.floor(now / 1000) + lease, job_id .. '|' .. node)
    local timeout = tonumber(st[6] or '0')
    if timeout > 0 then
      redis.call('ZADD', KEYS[2], math.floor(now / 1000) + timeout, 'a|' .. job_id .. '|' .. node .. '|' .. attempt_id)
    end
    local missing = nil
    for j = 1, #inputs do
      if not values[j] then
        missing = inputs[j]
        break
      end
    end
    if missing then
      out[#out + 1] = {'missing', missing, st[9] or ''}
    else
      -- an item task keeps no spec of its own: its group's is the same for every item
      local spec = st[3] or redis.call('HGET', job_key .. ':t:' .. (group_of(node) or node), 'spec')
      local r = {'ok', spec, job[2] or '{}', tostring(attempts), tostring(lease),
        tostring(now - tonumber(st[7] or now)), job[3] or ''}
      for j = 1, #inputs do
        r[#r + 1] = values[j]
      end
      out[#out + 1] = r
    end
  end
end
return out
