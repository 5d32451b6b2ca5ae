-- A READY task whose message has waited unclaimed past the stuck limit while its pool's queue holds
-- fewer messages than it should (a broker lost some): publish the same message again. The dispatch
-- id is unchanged, so if the first copy still turns up, the claim drops one of the two.
-- KEYS: task, queued set of its pool, outbox, job
-- ARGV: member ('<job>|<node>'), job id, shard, node, cutoff (ms: only older entries are stuck)
local st = redis.call('HMGET', KEYS[1], 'state', 'dispatch', 'pool')
if st[1] ~= 'READY' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return reply('stale')
end
local since = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not since or tonumber(since) > tonumber(ARGV[5]) then
  return reply('fresh')
end
local message = task_message(ARGV[2], ARGV[3], ARGV[4], st[2])
local routing_key = route(KEYS[4], st[3])
local processor = redis.call('HGET', KEYS[1], 'processor') or ''
local id = redis.call('XADD', KEYS[3], '*', 'p', routing_key, 'm', message, 'r', processor)
DISPATCHED[#DISPATCHED + 1] = id
DISPATCHED[#DISPATCHED + 1] = routing_key
DISPATCHED[#DISPATCHED + 1] = message
DISPATCHED[#DISPATCHED + 1] = ARGV[3]
DISPATCHED[#DISPATCHED + 1] = processor
redis.call('ZADD', KEYS[2], now_ms(), ARGV[1])
redis.call('HINCRBY', KEYS[1], 'requeued', 1)
return reply('requeued')
