package dev.pipewright.overseer.workers;

import dev.pipewright.protocol.job.Capacity;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Range;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Live workers, from the registrations they renew every two seconds. */
public final class WorkerDirectory {
    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Duration ttl;
    private volatile long cachedAt;
    private volatile List<Map<String, String>> cached = List.of();

    public WorkerDirectory(Keys keys, RedisClusterAsyncCommands<String, String> redis, Duration ttl) {
        this.keys = keys;
        this.redis = redis;
        this.ttl = ttl;
    }

    public List<Map<String, String>> alive() throws Exception {
        long now = System.currentTimeMillis();
        List<String> ids = redis.zrangebyscore(keys.workerIndex(), Range.create((double) (now - ttl.toMillis()), Double.POSITIVE_INFINITY))
                .get(5, TimeUnit.SECONDS);
        List<Map<String, String>> out = new ArrayList<>();
        for (String id : ids) {
            Map<String, String> w = new HashMap<>(redis.hgetall(keys.worker(id)).get(5, TimeUnit.SECONDS));
            if (!w.isEmpty()) {
                w.put("id", id);
                out.add(w);
            }
        }
        cached = out;
        cachedAt = now;
        return out;
    }

    /** Pool → processors served there by at least one live worker (cached for one second). */
    public Map<String, Set<String>> served() throws Exception {
        List<Map<String, String>> workers = System.currentTimeMillis() - cachedAt < 1000 ? cached : alive();
        Map<String, Set<String>> byPool = new HashMap<>();
        for (Map<String, String> w : workers) {
            Set<String> processors = new HashSet<>(List.of(w.getOrDefault("processors", "").split(",")));
            for (String pool : w.getOrDefault("pools", "").split(",")) {
                byPool.computeIfAbsent(pool, p -> new HashSet<>()).addAll(processors);
            }
        }
        return byPool;
    }

    /**
     * What a task may use in each pool: the largest capacity ({@code PW_RESOURCES}) of the pool's
     * live workers, those whose heartbeat is within {@code PW_WORKER_TTL}. A pool with none offers
     * nothing: a job that asks for resources is routed only to pools with a live worker that can
     * run it (a worker that cannot hands the task back, see TaskConsumer).
     */
    public Map<String, Capacity> capacities(Set<String> pools) throws Exception {
        List<Map<String, String>> workers = System.currentTimeMillis() - cachedAt < 1000 ? cached : alive();
        Map<String, Capacity> out = new HashMap<>();
        for (Map<String, String> w : workers) {
            Capacity c;
            try {
                c = Capacity.parse(w.getOrDefault("resources", ""));
            } catch (IllegalArgumentException e) {
                continue; // a heartbeat this overseer cannot read offers nothing
            }
            for (String pool : w.getOrDefault("pools", "").split(",")) {
                if (pools.contains(pool)) {
                    out.merge(pool, c, Capacity::max);
                }
            }
        }
        return out;
    }

    /** Pools the stored pipelines' latest versions name (and whatever pool any worker announced processors for is found by {@link #known}). */
    public Set<String> namedPools() throws Exception {
        Set<String> out = new java.util.TreeSet<>();
        for (String joined : redis.hvals(keys.pipelinePools()).get(5, TimeUnit.SECONDS)) {
            for (String pool : joined.split(",")) {
                if (!pool.isEmpty()) {
                    out.add(pool);
                }
            }
        }
        return out;
    }

    /** The processors any worker ever announced for this pool (live or not). */
    public Set<String> known(String pool) throws Exception {
        return redis.smembers(keys.poolProcessors(pool)).get(5, TimeUnit.SECONDS);
    }
}
