-- Deletes module versions: their metadata at once, their content after a grace period (jobs
-- submitted before still run them). The version counter stays, so a number is never reused.
-- KEYS[1] the module index, KEYS[2] the module's hash, KEYS[3..] the content keys of the versions
-- ARGV[1] grace (ms), ARGV[2] name, ARGV[3..] the versions, in the order of their content keys
-- Returns {deleted count, latest version left (0: none)}
local deleted = 0
for i = 3, #ARGV do
  local meta = redis.call('HGET', KEYS[2], 'v:' .. ARGV[i])
  if meta then
    local m = cjson.decode(meta)
    redis.call('HDEL', KEYS[2], 'v:' .. ARGV[i], 'd:' .. m['digest'])
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    deleted = deleted + 1
  end
end
local latest = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
  if string.sub(f, 1, 2) == 'v:' then
    local n = tonumber(string.sub(f, 3))
    if n > latest then latest = n end
  end
end
if latest == 0 then
  redis.call('HDEL', KEYS[2], 'latest', 'owner')
  redis.call('ZREM', KEYS[1], ARGV[2])
else
  redis.call('HSET', KEYS[2], 'latest', latest)
end
return {deleted, latest}
