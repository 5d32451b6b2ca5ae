package dev.pipewright.overseer.sweep;

import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.dispatch.ControlPublisher;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.loop.PeriodicLoop;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.release.Retries;
import dev.pipewright.overseer.shards.ShardLeases;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;


/**
 * The durable timers: every interval, per shard, expired leases (a worker died or was cut off:
 * re-dispatch or fail) and due timers: retries after back-off, queue timeouts, attempt timeouts
 * (whose workers are told to stop the attempt) and job deadlines. Timers live in Redis sorted
 * sets, so a restarted overseer picks them up where the last one left them. Only the shards this
 * overseer holds the leases of are swept, each call fenced by the lease's token.
 *
 * <p>No timer stalls a shard: one whose script fails is tried again with back-off ({@link Retries})
 * while the others fire, and after a bounded number of tries it is set aside with its reason (its
 * job stopped as FAILED, the record in the shard's set-aside list).
 */
public final class Sweeper extends PeriodicLoop {
    private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);
    private static final int BATCH = 500;

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final StateGateway state;
    private final int maxLostLeases;
    private final OverseerMetrics metrics;
    private final PublisherPool publishers;
    private final ControlPublisher control;
    private final ShardLeases leases;
    /** Per shard: its timers and lease expiries that failed and wait for another try (this loop's thread only). */
    private final Map<Integer, Retries> failing = new HashMap<>();
    /** Expands groups of per-item tasks ({@code m|} timers). */
    private final MapExpander expander;

    public Sweeper(Keys keys, RedisClusterAsyncCommands<String, String> redis, StateGateway state, Duration interval, int maxLostLeases,
                   OverseerMetrics metrics, PublisherPool publishers, ControlPublisher control, ShardLeases leases) {
        super(interval);
        this.leases = leases;
        this.publishers = publishers;
        this.control = control;
        this.keys = keys;
        this.redis = redis;
        this.state = state;
        this.maxLostLeases = maxLostLeases;
        this.metrics = metrics;
        this.expander = new MapExpander(keys, redis, state, publishers, metrics);
    }

    @Override
    protected void round() throws Exception {
        List<String> time = redis.time().get(10, TimeUnit.SECONDS);
        double now = Long.parseLong(time.get(0)) * 1000.0 + Long.parseLong(time.get(1)) / 1000;
        for (ShardLease lease : leases.held()) {
            try {
                sweepLeases(lease, now);
                sweepTimers(lease, now);
            } catch (ShardLease.Lost e) {
                LOG.warn("shard {}: {}; its timers are the new owner's", lease.shard(), e.getMessage());
            }
        }
    }

    /** Members due at {@code now}, read from Redis's clock (the one the scripts use) once per round. */
    private List<String> due(String key, double now) throws Exception {
        return redis.zrangebyscore(key, Range.create(Double.NEGATIVE_INFINITY, now), Limit.create(0, BATCH)).get(10, TimeUnit.SECONDS);
    }

    private void sweepLeases(ShardLease lease, double now) throws Exception {
        Retries retries = failing.computeIfAbsent(lease.shard(), k -> new Retries());
        for (String member : due(keys.leases(lease.shard()), now)) {
            String[] parts = member.split("\\|", 2);
            if (parts.length < 2 || !JobId.isValid(parts[0])) {
                setAside(lease, retries, StateGateway.AsideKind.LEASE, member, null, null, "a malformed lease member");
                continue;
            }
            JobId job = new JobId(parts[0]);
            String node = parts[1];
            if (retries.waiting("l|" + member, (long) now)) {
                continue;
            }
            OutboxEntry.Reply reply;
            try {
                reply = state.expire(lease, job, node, maxLostLeases);
                retries.succeeded("l|" + member);
            } catch (ShardLease.Lost e) {
                throw e;
            } catch (Exception e) {
                failed(lease, retries, StateGateway.AsideKind.LEASE, member, job, node, e, (long) now);
                continue;
            }
            publishers.publishQuietly(reply.dispatched());
            metrics.ended(reply.ends());
            String r = reply.status();
            if ("redispatched".equals(r)) {
                LOG.warn("task {}/{}: lease expired; dispatched again", job, node);
                metrics.redispatched();
            } else if ("ended".equals(r)) {
                LOG.warn("task {}/{}: lease expired; the task ended", job, node);
            }
        }
    }

    private void sweepTimers(ShardLease lease, double now) throws Exception {
        int shard = lease.shard();
        Retries retries = failing.computeIfAbsent(shard, k -> new Retries());
        for (String member : due(keys.timers(shard), now)) {
            String[] parts = member.split("\\|");
            String kind = parts[0];
            if (parts.length < 2 || !JobId.isValid(parts[1])) {
                LOG.error("removing malformed timer {}", member);
                redis.zrem(keys.timers(shard), member).get(10, TimeUnit.SECONDS);
                continue;
            }
            JobId job = new JobId(parts[1]);
            String node = parts.length > 2 ? parts[2] : "";
            String token = parts.length > 3 ? parts[3] : "";
            if (kind.equals("m")) {
                // a group due for expansion: it goes on off this loop, each chunk moving the timer out
                expander.start(lease, job, node);
                continue;
            }
            if (retries.waiting("t|" + member, (long) now)) {
                continue;
            }
            OutboxEntry.Reply reply;
            try {
                reply = state.fireTimer(lease, member, job, kind, node, token);
                retries.succeeded("t|" + member);
            } catch (ShardLease.Lost e) {
                throw e;
            } catch (Exception e) {
                failed(lease, retries, StateGateway.AsideKind.TIMER, member, job, node, e, (long) now);
                continue;
            }
            publishers.publishQuietly(reply.dispatched());
            metrics.ended(reply.ends());
            switch (reply.status()) {
                case "dispatched" -> metrics.retried();
                case "timedout" -> {
                    LOG.warn("task {}/{}: {} timeout", job, node, kind.equals("q") ? "queue" : "attempt");
                    if (kind.equals("a")) {
                        control.stop(job.value(), node, token, "attempt exceeded its timeout");
                    }
                }
                case "stopping" -> {
                    String why = kind.equals("b") ? "its submission was interrupted" : "job deadline exceeded";
                    LOG.warn("job {}: {}; stopping it", job, why);
                    control.stop(job.value(), null, null, why);
                }
                default -> {
                    // stale or gone: nothing to do
                }
            }
        }
    }

    /**
     * A timer or lease expiry failed: when its script refused it, that counts a try (set aside when
     * none is left); when Redis did not answer, the round ends (the next one tries again).
     */
    private void failed(ShardLease lease, Retries retries, StateGateway.AsideKind kind, String member, JobId job, String node,
                        Exception e, long now) throws Exception {
        if (!Retries.refusedByScript(e)) {
            throw e;
        }
        String item = (kind == StateGateway.AsideKind.TIMER ? "t|" : "l|") + member;
        LOG.warn("shard {}: {} {} failed ({})", lease.shard(), kind.wire(), member, e.getMessage());
        if (retries.failed(item, e.getMessage(), false, now)) {
            setAside(lease, retries, kind, member, job, node, "the " + kind.wire() + " could not be applied after " + Retries.MAX_TRIES
                    + " tries: " + e.getMessage());
        }
    }

    private void setAside(ShardLease lease, Retries retries, StateGateway.AsideKind kind, String member, JobId job, String node,
                          String reason) throws Exception {
        OutboxEntry.Reply reply = state.setAside(lease, "", kind, member, job == null ? null : job.value(), node, reason);
        publishers.publishQuietly(reply.dispatched());
        metrics.ended(reply.ends());
        metrics.setAside(kind.wire());
        LOG.error("shard {}: set aside {} {}: {}; the job: {}", lease.shard(), kind.wire(), member, reason, reply.status());
        if (job != null && "stopping".equals(reply.status())) {
            control.stop(job.value(), null, null, reason);
        }
    }
}
