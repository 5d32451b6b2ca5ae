package dev.pipewright.overseer.sweep;

import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.dispatch.ControlPublisher;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.loop.PeriodicLoop;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.shards.ShardLeases;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;


/**
 * The durable timers: every interval, per shard, expired leases (a worker died or was cut off:
 * re-dispatch or fail) and due timers: retries after back-off, queue timeouts, attempt timeouts
 * (whose workers are told to stop the attempt) and job deadlines. Timers live in Redis sorted
 * sets, so a restarted overseer picks them up where the last one left them. Only the shards this
 * overseer holds the leases of are swept, each call fenced by the lease's token.
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
        for (String member : due(keys.leases(lease.shard()), now)) {
            String[] parts = member.split("\\|", 2);
            JobId job = new JobId(parts[0]);
            String node = parts[1];
            OutboxEntry.Reply reply = state.expire(lease, job, node, maxLostLeases);
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
            OutboxEntry.Reply reply = state.fireTimer(lease, member, job, kind, node, token);
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
}
