-- A task message was dead-lettered (unreadable by workers, or redelivered past the limit): fail
-- the task with the reason, if that message is still its current dispatch.
-- KEYS: task, job, events. ARGV: dispatch, reason, job id, node
local st = redis.call('HMGET', KEYS[1], 'state', 'dispatch', 'pool')
if st[1] ~= 'READY' or st[2] ~= ARGV[1] then
  return 'stale'
end
unqueue(KEYS[2], ARGV[3], ARGV[4], st[3])
set_state(KEYS[2], ARGV[4], 'READY', 'FAILED', 'error', ARGV[2], 'ended', now_us())
redis.call('XADD', KEYS[3], '*', 'j', ARGV[3], 'n', ARGV[4], 'a', '', 'o', 'fail')
return 'failed'
