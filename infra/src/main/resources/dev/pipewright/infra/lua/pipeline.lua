-- A pipeline's life in its one hash (KEYS[1], '<ns>:pipeline:<id>'), so each step is atomic and
-- touches one key: 'latest' (the version counter, never reset), 'first' (the first version since
-- the last delete; absent: 1), 'deleted' (ms, the tombstone) and 'deleted_by', 'owner',
-- 'created_at', 'updated_at', 'v:<N>' (each version's document), and 'live:<job id>' (ms) for each
-- job submitted to it that may not have ended yet (the overseer drops ended ones).
-- ARGV[1] is the operation:
--   save, owner, admin ('1'/'0'), version document (JSON), now (ms), digest of the source
--       -> {'ok', version} | {'same', latest} | {'forbidden', owner}
--     A new version. Someone else's pipeline takes one only from an admin; after a delete the id
--     starts a new life owned by the poster, its versions numbered on from the old ones. A source
--     whose digest is the latest version's ('digest') adds none: that version is the answer, so
--     posting one file again and again ('pipewright run FILE') does not pile up versions.
--   reserve, job id, version, now (ms) -> {'ok', live jobs} | {'deleted'} | {'gone'}
--     Records a job about to be submitted to that version; refused once the pipeline or the
--     version was deleted (so a delete and a submit can never both succeed).
--   delete, owner, admin ('1'/'0'), now (ms)
--       -> {'deleted', latest, first} | {'active', job ids..} | {'forbidden', owner} | {'gone'}
--     The tombstone, only while no job is recorded live. The versions stay (the overseer removes
--     those no job refers to), and so does the counter.
local h = KEYS[1]
local op = ARGV[1]
local latest = tonumber(redis.call('HGET', h, 'latest') or '0')
local deleted = redis.call('HGET', h, 'deleted')
local first = tonumber(redis.call('HGET', h, 'first') or '1')

if op == 'save' then
  if latest > 0 and not deleted then
    local owner = redis.call('HGET', h, 'owner')
    if owner and owner ~= ARGV[2] and ARGV[3] ~= '1' then
      return {'forbidden', owner}
    end
    if ARGV[6] and ARGV[6] ~= '' and redis.call('HGET', h, 'digest') == ARGV[6] then
      return {'same', tostring(latest)}
    end
  end
  local v = redis.call('HINCRBY', h, 'latest', 1)
  if latest == 0 or deleted then
    redis.call('HSET', h, 'owner', ARGV[2], 'created_at', ARGV[5], 'first', v)
    redis.call('HDEL', h, 'deleted', 'deleted_by')
  end
  redis.call('HSET', h, 'v:' .. v, ARGV[4], 'updated_at', ARGV[5], 'digest', ARGV[6] or '')
  return {'ok', tostring(v)}
end

if op == 'reserve' then
  if latest == 0 then
    return {'gone'}
  end
  if deleted then
    return {'deleted'}
  end
  local v = tonumber(ARGV[3])
  if v < first or v > latest then
    return {'gone'}
  end
  redis.call('HSET', h, 'live:' .. ARGV[2], ARGV[4])
  local live = 0
  for _, f in ipairs(redis.call('HKEYS', h)) do
    if string.sub(f, 1, 5) == 'live:' then
      live = live + 1
    end
  end
  return {'ok', tostring(live)}
end

if op == 'delete' then
  if latest == 0 or deleted then
    return {'gone'}
  end
  local owner = redis.call('HGET', h, 'owner')
  if owner and owner ~= ARGV[2] and ARGV[3] ~= '1' then
    return {'forbidden', owner}
  end
  local active = {'active'}
  for _, f in ipairs(redis.call('HKEYS', h)) do
    if string.sub(f, 1, 5) == 'live:' then
      active[#active + 1] = string.sub(f, 6)
    end
  end
  if #active > 1 then
    return active
  end
  redis.call('HSET', h, 'deleted', ARGV[4], 'deleted_by', ARGV[2], 'first', latest + 1)
  return {'deleted', tostring(latest), tostring(first)}
end

return redis.error_reply('unknown pipeline operation ' .. tostring(op))
