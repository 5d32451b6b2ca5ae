package dev.pipewright.overseer.admin;

import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Workers from their heartbeats ({@code <ns>:worker:<id>}, renewed every 2 s, expiring after 60 s):
 * alive when seen within the overseer's worker TTL.
 */
public final class Workers {
    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Duration ttl;

    public Workers(Keys keys, RedisClusterAsyncCommands<String, String> redis, Duration ttl) {
        this.keys = keys;
        this.redis = redis;
        this.ttl = ttl;
    }

    /** Every worker whose heartbeat has not expired yet, alive or not, by id. */
    public List<WorkerView> all() throws Exception {
        long now = System.currentTimeMillis();
        List<String> ids = redis.zrange(keys.workerIndex(), 0, -1).get(10, TimeUnit.SECONDS);
        List<CompletableFuture<Map<String, String>>> hashes = new ArrayList<>();
        for (String id : ids) {
            hashes.add(redis.hgetall(keys.worker(id)).toCompletableFuture());
        }
        List<WorkerView> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            Map<String, String> h = hashes.get(i).get(10, TimeUnit.SECONDS);
            if (!h.isEmpty()) {
                out.add(WorkerView.of(ids.get(i), h, now, ttl.toMillis()));
            }
        }
        out.sort(java.util.Comparator.comparing(WorkerView::id));
        return out;
    }

    public List<WorkerView> alive() throws Exception {
        return all().stream().filter(WorkerView::alive).toList();
    }
}
