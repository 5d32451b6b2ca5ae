-- An overseer's lease on one shard: the right to serve its events, outbox, timers and task leases.
-- The owner hash keeps the holder ('id'), until when (ms, Redis clock) and a fencing token that only
-- grows: each taking gets the next, and every shard-serving call of the overseer carries the token
-- it holds (fenced_out() refuses the call once the shard was taken again).
-- KEYS: the shard's owner hash. ARGV: op, overseer id, then
--   'take', lease ms: takes a free or lapsed lease, or one held under the caller's own id (a restart
--     of the same overseer, or a second process wrongly given its id: a new token fences the other);
--     returns the new token, or 0 while another overseer holds it.
--   'renew', lease ms, token: extends the caller's lease if it still holds that token (even after it
--     lapsed: no one took it in between, or the token would have changed); returns the token or 0.
--   'give', token: lets it go at once (a graceful stop); returns 1, or 0 when it was not held.
local owner = redis.call('HMGET', KEYS[1], 'id', 'until', 'token')
local now = now_ms()
local op, id = ARGV[1], ARGV[2]
if op == 'give' then
  if owner[1] ~= id or owner[3] ~= ARGV[3] then
    return 0
  end
  redis.call('HSET', KEYS[1], 'id', '', 'until', 0)
  return 1
end
if op == 'renew' then
  if owner[1] ~= id or owner[3] ~= ARGV[4] then
    return 0
  end
  redis.call('HSET', KEYS[1], 'until', now + tonumber(ARGV[3]))
  return tonumber(owner[3])
end
if owner[1] and owner[1] ~= '' and owner[1] ~= id and tonumber(owner[2]) >= now then
  return 0
end
local token = redis.call('HINCRBY', KEYS[1], 'token', 1)
redis.call('HSET', KEYS[1], 'id', id, 'until', now + tonumber(ARGV[3]), 'since', now)
return token
