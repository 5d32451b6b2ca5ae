-- Ends attempts (a batch, all of one shard), each only if it still holds its task (the attempt id
-- is the fencing token).
-- KEYS: the shard's leases, events
-- ARGV: per attempt: job id, node, attempt id, outcome, error text, retryable ('1'/'0'), number of
--       outputs, then that many triples of output data node, value, content type
-- Outcomes: 'ok'; 'fail' (the processor failed); 'timeout' (the attempt ran past its timeout);
-- 'interrupted' (told to stop); 'handback' (the worker is shutting down: dispatch it again now);
-- 'refuse' (the worker does not offer the job's config.infra: dispatch it again, for another worker
-- of the pool; the error text says why, and expire.lua bounds how often); 'cached' (the worker found
-- the node's memoised result and did not run it: like 'ok', the outputs are the stored ones, the task
-- ends CACHED and the error text is the job the result came from).
-- Returns one reply per attempt: 'ok', 'retry', 'ended:<state the task ended in>' (FAILED,
-- TIMED_OUT, CANCELLED), 'handback' or 'fenced'.
local prefix = shard_prefix(KEYS[1])
local out = {}
local i = 1
while i <= #ARGV do
  local job_id, node, attempt, outcome, err, retryable = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local first_output = i + 7
  i = first_output + 3 * tonumber(ARGV[i + 6])
  local job_key = prefix .. 'job:' .. job_id
  local key = job_key .. ':t:' .. node
  local member = job_id .. '|' .. node
  local st = redis.call('HMGET', key, 'state', 'attempt', 'sink')
  if st[1] ~= 'RUNNING' or st[2] ~= attempt then
    out[#out + 1] = 'fenced'
  else
    drop_attempt_timer(key, job_id, node, attempt)
    if outcome == 'handback' or outcome == 'refuse' then
      -- the sweeper re-dispatches at once; a hand-back is not a lost lease
      if outcome == 'refuse' then
        redis.call('HSET', key, 'handback', 'refused', 'refusal', err)
      else
        redis.call('HSET', key, 'handback', '1')
      end
      redis.call('ZADD', KEYS[1], 0, member)
      out[#out + 1] = 'handback'
    elseif outcome == 'ok' or outcome == 'cached' then
      redis.call('ZREM', KEYS[1], member)
      -- an item task '<group>[<i>]' writes its outputs per item: '<output>[<i>]'
      local suffix = string.byte(node, -1) == 93 and string.match(node, '%[%d+%]$') or ''
      for o = first_output, i - 1, 3 do
        if redis.call('HSETNX', job_key .. ':data', ARGV[o] .. suffix, ARGV[o + 1]) == 1 then
          redis.call('HSET', job_key .. ':ctype', ARGV[o] .. suffix, ARGV[o + 2])
        else
          -- audit: a consumable is written once; a second write is a bug the fault tests look for
          redis.call('HINCRBY', job_key, 'rewrites', 1)
        end
      end
      redis.call('HINCRBY', key, 'commits', 1)
      if outcome == 'cached' then
        set_state(job_key, node, 'RUNNING', 'CACHED', 'ended', now_us(), 'cachedFrom', err)
      else
        set_state(job_key, node, 'RUNNING', 'SUCCESS', 'ended', now_us())
      end
      redis.call('HDEL', key, 'error')
      if st[3] then
        -- outputs with a source are copied to the data store by the overseer before it releases
        redis.call('XADD', KEYS[2], '*', 'j', job_id, 'n', node, 'a', attempt, 'o', 'ok', 'w', st[3])
      else
        redis.call('XADD', KEYS[2], '*', 'j', job_id, 'n', node, 'a', attempt, 'o', 'ok')
      end
      out[#out + 1] = 'ok'
    else
      redis.call('ZREM', KEYS[1], member)
      -- (a stop of the whole job overrides this with the job's stopAs state)
      local final_state = outcome == 'timeout' and 'TIMED_OUT' or 'FAILED'
      local r, ended = end_attempt(job_key, KEYS[2], job_id, node, attempt, err, retryable == '1', final_state)
      out[#out + 1] = r == 'ended' and ('ended:' .. ended) or r
    end
  end
end
return out
