package dev.pipewright.overseer.cache;

import dev.pipewright.protocol.cache.CacheEntry;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The memoised results (docs/design.md, "Memoised results"): one Redis string per entry, written by
 * workers with its time to live, an index by expiry and a small meta hash for the listing, all under
 * the {@code {cache}} hash tag. Read at submit (one GET per cacheable node), listed and deleted
 * through the API. Expired entries vanish with their TTL; their index and meta rows are trimmed
 * when entries are written and when the cache is listed, so memory follows the live entries.
 */
public final class CacheStore {
    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;

    public CacheStore(Keys keys, RedisClusterAsyncCommands<String, String> redis) {
        this.keys = keys;
        this.redis = redis;
    }

    /** A processor as workers announce it: the version a cache key uses and whether its results may be memoised. */
    public record ProcessorInfo(String version, boolean deterministic) {
        static ProcessorInfo parse(String value) {
            int bar = value == null ? -1 : value.lastIndexOf('|');
            if (bar < 0) {
                return null;
            }
            return new ProcessorInfo(value.substring(0, bar), !"0".equals(value.substring(bar + 1)));
        }
    }

    /** Every processor any worker announced, by name. */
    public Map<String, ProcessorInfo> processors() throws Exception {
        Map<String, ProcessorInfo> out = new HashMap<>();
        redis.hgetall(keys.processorInfo()).get(10, TimeUnit.SECONDS).forEach((name, value) -> {
            ProcessorInfo info = ProcessorInfo.parse(value);
            if (info != null) {
                out.put(name, info);
            }
        });
        return out;
    }

    /** The live entry under this key, or null. */
    public CacheEntry get(String key) throws Exception {
        CacheEntry e = CacheEntry.decode(redis.get(keys.cacheEntry(key)).get(10, TimeUnit.SECONDS));
        return e == null || e.expires() <= System.currentTimeMillis() ? null : e;
    }

    /** The metas of live entries, by key, filtered by pipeline and node (null: any); expired rows are trimmed on the way. */
    public List<CacheEntry.Meta> list(String pipeline, String node) throws Exception {
        trimExpired();
        long now = System.currentTimeMillis();
        List<CacheEntry.Meta> out = new ArrayList<>();
        redis.hgetall(keys.cacheMeta()).get(10, TimeUnit.SECONDS).forEach((key, line) -> {
            CacheEntry.Meta m = CacheEntry.Meta.parse(key, line);
            if (m != null && m.expires() > now && (pipeline == null || pipeline.equals(m.pipeline()))
                    && (node == null || node.equals(m.node()))) {
                out.add(m);
            }
        });
        out.sort(Comparator.comparing(CacheEntry.Meta::key));
        return out;
    }

    /** Deletes one entry; whether it was there. */
    public boolean delete(String key) throws Exception {
        long n = redis.del(keys.cacheEntry(key)).get(10, TimeUnit.SECONDS);
        redis.zrem(keys.cacheIndex(), key).get(10, TimeUnit.SECONDS);
        redis.hdel(keys.cacheMeta(), key).get(10, TimeUnit.SECONDS);
        return n > 0;
    }

    /** The meta of one entry (live or not yet trimmed), or null. */
    public CacheEntry.Meta meta(String key) throws Exception {
        return CacheEntry.Meta.parse(key, redis.hget(keys.cacheMeta(), key).get(10, TimeUnit.SECONDS));
    }

    private void trimExpired() throws Exception {
        List<String> expired = redis.zrangebyscore(keys.cacheIndex(), Range.create(Double.NEGATIVE_INFINITY,
                (double) System.currentTimeMillis()), Limit.create(0, 10_000)).get(10, TimeUnit.SECONDS);
        if (!expired.isEmpty()) {
            String[] members = expired.toArray(String[]::new);
            redis.hdel(keys.cacheMeta(), members).get(10, TimeUnit.SECONDS);
            redis.zrem(keys.cacheIndex(), members).get(10, TimeUnit.SECONDS);
        }
    }
}
