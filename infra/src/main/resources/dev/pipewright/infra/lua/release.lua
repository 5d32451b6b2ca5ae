-- Applies completion events (a batch, all of one shard's stream): for each, counts the task once,
-- releases children whose parents are all done (or skips the descendants of a failure), ends the
-- job when every task has; then acknowledges and deletes every event of the batch.
-- KEYS: the shard's events stream, outbox
-- ARGV: group, shard, then per event: entry id, job id, node, outcome ('ok'/'fail'/'cancel')
-- Returns reply(<one status per event, joined by ','>): 'gone', 'duplicate', the number of
-- children it released, or 'error:<message>' when applying it failed (the job's state is not what
-- the script expects): the caller sets such an event aside, which fails its job, rather than let a
-- retry read it as a duplicate. A job this ended (and tasks it skipped) are in the reply's ends.
local prefix = shard_prefix(KEYS[1])
local shard = ARGV[2]
local statuses = {}
local ids = {}
local now = now_us()
-- Whether the event being applied was counted toward its job's end: an error after that leaves the
-- task done, one before it does not (see the pcall below).
local counted = false

-- Applies one event whose task was not done yet; returns how many children it released.
local function apply_event(job_key, job_id, node, outcome)
  counted = false
  -- a processor slot it held goes back (concurrency limits)
  free_slot(job_key, job_id, node)
  local released = 0
  if outcome == 'ok' then
    count_terminal(job_key, 'succeeded')
    counted = true
    local running = redis.call('HGET', job_key, 'status') == 'RUNNING'
    local t = redis.call('HMGET', job_key .. ':t:' .. node, 'ch', 'opt')
    -- only a node with optional outputs ('opt') looks for outputs it left unproduced
    local unproduced = t[2] and unproduced_outputs(job_key, t[2])
    for _, child in ipairs(cjson.decode(t[1] or '[]')) do
      local sat = job_key .. ':sat:' .. child
      redis.call('SADD', sat, node)
      local missing = unproduced and needs_unproduced(job_key, child, unproduced)
      if missing then
        skip_unproduced(job_key, child, missing, node)
      end
      local c = redis.call('HMGET', job_key .. ':t:' .. child, 'state', 'np', 'pool', 'map')
      if running and c[1] == 'PENDING' and redis.call('SCARD', sat) >= tonumber(c[2]) then
        if c[4] then
          begin_map(job_key, job_id, child, 'PENDING', now)
        else
          dispatch(job_key, KEYS[2], job_id, shard, child, c[3], now, 'PENDING')
        end
        -- audit: a child is released once, by the event of its last parent
        redis.call('HINCRBY', job_key .. ':t:' .. child, 'releases', 1)
        released = released + 1
      end
    end
  elseif outcome == 'cancel' then
    count_terminal(job_key, 'cancelled')
    counted = true
  else
    count_terminal(job_key, 'failed')
    counted = true
    skip_descendants(job_key, node, "upstream task '" .. node .. "' did not succeed")
  end
  local group = group_of(node)
  if group then
    map_item_ended(job_key, job_id, group, outcome)
  end
  return released
end

for i = 3, #ARGV, 4 do
  local entry, job_id, node, outcome = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  ids[#ids + 1] = entry
  local job_key = prefix .. 'job:' .. job_id
  if redis.call('EXISTS', job_key) == 0 then
    statuses[#statuses + 1] = 'gone'
  elseif redis.call('SADD', job_key .. ':done', node) == 0 then
    statuses[#statuses + 1] = 'duplicate'
  else
    local ok, r = pcall(apply_event, job_key, job_id, node, outcome)
    if ok then
      statuses[#statuses + 1] = tostring(r)
    else
      if not counted then
        -- not counted yet: the task must not read as done, so that setting the event aside counts it
        redis.call('SREM', job_key .. ':done', node)
      end
      statuses[#statuses + 1] = 'error:' .. string.gsub(tostring(r), '[,\r\n]', ' ')
    end
  end
end
if #ids > 0 then
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
  redis.call('XDEL', KEYS[1], unpack(ids))
end
return reply(table.concat(statuses, ','))
