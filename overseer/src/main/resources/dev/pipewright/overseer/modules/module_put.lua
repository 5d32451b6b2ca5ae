-- Stores one module version, or answers the version that already has this content.
-- KEYS[1] the module index, KEYS[2] the module's hash, KEYS[3] the content key (all {mod})
-- ARGV[1] name, ARGV[2] digest, ARGV[3] metadata JSON (its version is set here), ARGV[4] content,
-- ARGV[5] uploader, ARGV[6] '1' when the uploader is an admin
-- Returns {1, version, metadata} (new), {0, version, metadata} (same content), {-1, 0, owner} (not the owner's)
local owner = redis.call('HGET', KEYS[2], 'owner')
if owner and owner ~= ARGV[5] and ARGV[6] ~= '1' then
  return {-1, 0, owner}
end
local existing = redis.call('HGET', KEYS[2], 'd:' .. ARGV[2])
if existing then
  return {0, tonumber(existing), redis.call('HGET', KEYS[2], 'v:' .. existing)}
end
local n = redis.call('HINCRBY', KEYS[2], 'next', 1)
local meta = cjson.decode(ARGV[3])
meta['version'] = n
local text = cjson.encode(meta)
redis.call('SET', KEYS[3], ARGV[4])
redis.call('HSET', KEYS[2], 'v:' .. n, text, 'd:' .. ARGV[2], n, 'latest', n, 'owner', owner or ARGV[5])
redis.call('ZADD', KEYS[1], 0, ARGV[1])
return {1, n, text}
