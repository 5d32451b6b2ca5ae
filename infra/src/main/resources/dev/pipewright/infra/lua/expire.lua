-- A lease ran out: the worker is gone or cut off (or handed the attempt back). Re-dispatch the
-- task (a lost lease counts up to a limit; a hand-back does not), or end it. A task refused by
-- workers that do not offer its job's config.infra is re-dispatched (the next delivery may go to
-- a bigger worker of the pool) up to MAX_REFUSALS times, then fails naming the refusal.
-- KEYS: task, job, leases, events, outbox. ARGV: member, job id, shard, node, max lost leases
local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not score or tonumber(score) > now_ms() then
  return reply('alive')
end
redis.call('ZREM', KEYS[3], ARGV[1])
local st = redis.call('HMGET', KEYS[1], 'state', 'pool', 'worker', 'attempt', 'handback')
if st[1] ~= 'RUNNING' then
  return reply('stale')
end
local job_status = redis.call('HGET', KEYS[2], 'status')
-- An attempt whose timeout came due before its lease ran out (its worker stopped renewing when it
-- stopped the attempt, say, while no overseer swept) timed out: that is what the sweep would have
-- found first.
local timeout_member = 'a|' .. ARGV[2] .. '|' .. ARGV[4] .. '|' .. (st[4] or '')
local timeout_due = redis.call('ZSCORE', shard_key(KEYS[5], 'timers'), timeout_member)
if timeout_due and tonumber(timeout_due) <= tonumber(score) and job_status ~= 'CANCELLING' then
  redis.call('ZREM', shard_key(KEYS[5], 'timers'), timeout_member)
  local r, ended = end_attempt(KEYS[2], KEYS[4], ARGV[2], ARGV[4], st[4] or '',
    'attempt exceeded its timeout (' .. (redis.call('HGET', KEYS[1], 'to') or '?') .. ' ms)', true, 'TIMED_OUT')
  note_task_end(KEYS[1], ended or r, 'attempt_timeout')
  return reply('timedout')
end
drop_attempt_timer(KEYS[1], ARGV[2], ARGV[4], st[4])
local reason = "lease expired: worker '" .. (st[3] or '?') .. "' stopped heartbeating"
if job_status == 'CANCELLING' then
  local _, ended = end_attempt(KEYS[2], KEYS[4], ARGV[2], ARGV[4], st[4] or '', 'stopped: ' .. reason, false, 'CANCELLED')
  note_task_end(KEYS[1], ended, 'lease_lost')
  return reply('ended')
end
local lost = 0
if st[5] == 'refused' then
  local MAX_REFUSALS = 20
  redis.call('HDEL', KEYS[1], 'handback')
  redis.call('HINCRBY', KEYS[1], 'handbacks', 1)
  local refusals = redis.call('HINCRBY', KEYS[1], 'refusals', 1)
  reason = "refused by worker '" .. (st[3] or '?') .. "': " .. (redis.call('HGET', KEYS[1], 'refusal') or '?')
  if refusals >= MAX_REFUSALS then
    local _, ended = end_attempt(KEYS[2], KEYS[4], ARGV[2], ARGV[4], st[4] or '', reason .. ' (refused ' .. refusals
      .. ' times: no worker of the pool that took it offers what the job asks for)', false, 'FAILED')
    note_task_end(KEYS[1], ended, 'refused')
    return reply('ended')
  end
elseif st[5] then
  redis.call('HDEL', KEYS[1], 'handback')
  redis.call('HINCRBY', KEYS[1], 'handbacks', 1)
  reason = "handed back by worker '" .. (st[3] or '?') .. "' at shutdown"
else
  lost = redis.call('HINCRBY', KEYS[1], 'lost', 1)
end
if lost <= tonumber(ARGV[5]) and job_status == 'RUNNING' then
  redis.call('HSET', KEYS[1], 'error', reason)
  dispatch(KEYS[2], KEYS[5], ARGV[2], ARGV[3], ARGV[4], st[2], now_us(), 'RUNNING')
  return reply('redispatched')
end
local _, ended = end_attempt(KEYS[2], KEYS[4], ARGV[2], ARGV[4], st[4] or '', reason .. ' (' .. lost .. ' times)', false, 'FAILED')
note_task_end(KEYS[1], ended, 'lease_lost')
return reply('ended')
