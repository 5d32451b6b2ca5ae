package dev.pipewright.overseer.admin;

import dev.pipewright.overseer.dispatch.ControlPublisher;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.PoolControl;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Pools: which exist, and pausing, resuming and draining them. A paused pool is recorded in Redis
 * ({@code <ns>:pools:paused}, pool → time paused) so that workers started later honour it, and
 * broadcast so that running workers act at once. Running attempts are never interrupted.
 */
public final class PoolAdmin {
    public static final Duration DRAIN_POLL = Duration.ofMillis(250);

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final ControlPublisher control;
    private final Workers workers;

    public PoolAdmin(Keys keys, RedisClusterAsyncCommands<String, String> redis, ControlPublisher control, Workers workers) {
        this.keys = keys;
        this.redis = redis;
        this.control = control;
        this.workers = workers;
    }

    /** Pools the stored pipelines' latest versions name, served by live workers, or paused, and "default". */
    public Set<String> known(List<WorkerView> alive) throws Exception {
        Set<String> pools = new TreeSet<>(Set.of("default"));
        // the pipeline store keeps, per pipeline, the pools its latest version names
        for (String joined : redis.hvals(keys.pipelinePools()).get(10, TimeUnit.SECONDS)) {
            for (String pool : joined.split(",")) {
                if (!pool.isEmpty()) {
                    pools.add(pool);
                }
            }
        }
        pools.addAll(paused().keySet());
        alive.forEach(w -> pools.addAll(w.pools()));
        return pools;
    }

    /** Paused pools → epoch ms they were paused. */
    public Map<String, Long> paused() throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        redis.hgetall(keys.pausedPools()).get(10, TimeUnit.SECONDS).forEach((k, v) -> out.put(k, Long.parseLong(v)));
        return out;
    }

    public PoolViews.State pause(String pool) throws Exception {
        PoolName.check(pool);
        redis.hsetnx(keys.pausedPools(), pool, Long.toString(System.currentTimeMillis())).get(10, TimeUnit.SECONDS);
        boolean told = control.publish(new PoolControl(PoolControl.VERSION, pool, true));
        return state(pool, told);
    }

    public PoolViews.State resume(String pool) throws Exception {
        PoolName.check(pool);
        redis.hdel(keys.pausedPools(), pool).get(10, TimeUnit.SECONDS);
        boolean told = control.publish(new PoolControl(PoolControl.VERSION, pool, false));
        return state(pool, told);
    }

    private PoolViews.State state(String pool, boolean broadcast) throws Exception {
        Long at = paused().get(pool);
        // without the broadcast, workers still apply the change at their next heartbeat (2 s)
        return new PoolViews.State(pool, at != null, PoolViews.time(at), broadcast);
    }

    /** Every known pool, paused or not, with the live workers serving it. */
    public List<PoolViews.Row> rows() throws Exception {
        List<WorkerView> alive = workers.alive();
        Map<String, Long> paused = paused();
        List<PoolViews.Row> out = new ArrayList<>();
        for (String pool : known(alive)) {
            out.add(new PoolViews.Row(pool, paused.containsKey(pool), PoolViews.time(paused.get(pool)),
                    alive.stream().filter(w -> w.pools().contains(pool)).map(WorkerView::id).toList()));
        }
        return out;
    }

    /**
     * Pauses the pool, then waits (up to {@code timeout}) until every live worker of the pool has
     * applied the pause and has no attempt of it running and no delivery of it unsettled. Reports
     * what remains when the time is up.
     */
    public PoolViews.Drain drain(String pool, Duration timeout) throws Exception {
        pause(pool);
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            List<PoolViews.Remaining> remaining = new ArrayList<>();
            int inFlight = 0;
            int unacked = 0;
            for (WorkerView w : workers.alive()) {
                if (!w.pools().contains(pool)) {
                    continue;
                }
                boolean applied = w.paused().contains(pool);
                inFlight += w.inFlight(pool);
                unacked += w.unacked(pool);
                if (!applied || w.inFlight(pool) > 0 || w.unacked(pool) > 0) {
                    remaining.add(new PoolViews.Remaining(w.id(), applied, w.inFlight(pool), w.unacked(pool)));
                }
            }
            boolean drained = remaining.isEmpty();
            if (drained || System.nanoTime() > deadline) {
                return new PoolViews.Drain(pool, true, drained, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), inFlight, unacked,
                        remaining);
            }
            Thread.sleep(DRAIN_POLL.toMillis());
        }
    }

    public static Duration drainTimeout(String seconds) {
        if (seconds == null) {
            return Duration.ofSeconds(60);
        }
        try {
            long s = Long.parseLong(seconds);
            if (s < 0 || s > 3600) {
                throw new NumberFormatException();
            }
            return Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw Refusal.invalid("timeout must be whole seconds from 0 to 3600", "timeout");
        }
    }
}
