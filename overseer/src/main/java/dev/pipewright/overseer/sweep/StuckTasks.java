package dev.pipewright.overseer.sweep;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;


/**
 * Tasks READY for longer than {@code stuckAfter} whose pool queue holds fewer messages than the
 * pool has tasks waiting: a broker lost messages (a non-durable queue, a purge, a failed disk).
 * Their messages are published again, the oldest first and no more than are missing, so a long
 * backlog that is merely slow is never duplicated.
 */
public final class StuckTasks extends PeriodicLoop {
    private static final Logger LOG = LoggerFactory.getLogger(StuckTasks.class);
    private static final int BATCH = 500;

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final StateGateway state;
    private final Connection rabbit;
    private final PublisherPool publishers;
    private final OverseerMetrics metrics;
    private final Duration stuckAfter;
    private final ShardLeases leases;
    private Channel channel;

    public StuckTasks(Keys keys, RedisClusterAsyncCommands<String, String> redis, StateGateway state, Connection rabbit,
                      PublisherPool publishers, OverseerMetrics metrics, Duration stuckAfter, ShardLeases leases) {
        super(Duration.ofMillis(Math.max(250, Math.min(5000, stuckAfter.toMillis() / 4))));
        this.leases = leases;
        this.keys = keys;
        this.redis = redis;
        this.state = state;
        this.rabbit = rabbit;
        this.publishers = publishers;
        this.metrics = metrics;
        this.stuckAfter = stuckAfter;
    }

    @Override
    protected void round() throws Exception {
        Set<String> pools = new TreeSet<>(redis.smembers(keys.pools()).get(10, TimeUnit.SECONDS));
        pools.add("default");
        List<String> time = redis.time().get(10, TimeUnit.SECONDS);
        long cutoff = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000 - stuckAfter.toMillis();
        for (String pool : pools) {
            sweepPool(pool, cutoff);
        }
    }

    private void sweepPool(String pool, long cutoff) throws Exception {
        long waiting = 0;
        List<List<String>> stuck = new ArrayList<>();
        for (int shard = 0; shard < keys.shards(); shard++) {
            waiting += redis.zcard(keys.queued(shard, pool)).get(10, TimeUnit.SECONDS);
            stuck.add(redis.zrangebyscore(keys.queued(shard, pool), Range.create(Double.NEGATIVE_INFINITY, (double) cutoff),
                    Limit.create(0, BATCH)).get(10, TimeUnit.SECONDS));
        }
        if (stuck.stream().allMatch(List::isEmpty)) {
            return;
        }
        long inQueue = 0;
        for (String queue : keys.poolQueues(pool)) {
            long n = messageCount(queue);
            inQueue = n < 0 || inQueue < 0 ? -1 : inQueue + n;
        }
        long missing = waiting - inQueue;
        if (inQueue < 0 || missing <= 0) {
            return; // the queue holds a message for every waiting task: slow, not lost
        }
        long requeued = 0;
        // the count of waiting tasks is the whole pool's; only the shards this overseer serves are published again
        for (ShardLease lease : leases.held()) {
            int shard = lease.shard();
            if (requeued >= missing) {
                break;
            }
            for (String member : stuck.get(shard)) {
                if (requeued >= missing) {
                    break;
                }
                String[] parts = member.split("\\|", 2);
                if (parts.length < 2) {
                    continue;
                }
                String job = parts[0];
                String node = parts[1];
                OutboxEntry.Reply reply = state.requeue(lease, pool, new JobId(job), node, cutoff);
                if ("requeued".equals(reply.status())) {
                    publishers.publishQuietly(reply.dispatched());
                    metrics.redispatched();
                    requeued++;
                }
            }
        }
        if (requeued > 0) {
            LOG.warn("pool {}: {} tasks waited over {} while its queue held {} messages for {} waiting tasks; published them again",
                    pool, requeued, stuckAfter, inQueue, waiting);
        }
    }

    /** Ready messages in the queue, or -1 when it cannot be read (then nothing is judged lost); a queue not declared yet holds none. */
    private long messageCount(String queue) {
        try {
            if (channel == null || !channel.isOpen()) {
                channel = rabbit.createChannel();
            }
            return channel.queueDeclarePassive(queue).getMessageCount();
        } catch (Exception e) {
            channel = null;
            return -1;
        }
    }
}
