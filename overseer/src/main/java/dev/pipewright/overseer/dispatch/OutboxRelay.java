package dev.pipewright.overseer.dispatch;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.overseer.loop.PeriodicLoop;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.TaskMessage;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The outbox's safety net. Whoever runs a dispatching script publishes its entries at once and
 * deletes them when RabbitMQ confirms; an entry still in a shard's outbox after {@code grace} was
 * left behind by a crash, a broker outage or an unroutable publish, and this relay publishes it
 * (again). A duplicate this causes is dropped by the worker's claim.
 */
public final class OutboxRelay extends PeriodicLoop {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
    private static final int BATCH = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final TaskPublisher publisher;
    private final Duration grace;
    private final Supplier<Collection<Integer>> shards;

    /** {@code shards}: those this overseer serves now. */
    public OutboxRelay(Keys keys, RedisClusterAsyncCommands<String, String> redis, TaskPublisher publisher, Duration grace, Duration interval,
                       Supplier<Collection<Integer>> shards) {
        super(interval);
        this.shards = shards;
        this.keys = keys;
        this.redis = redis;
        this.publisher = publisher;
        this.grace = grace;
    }

    @Override
    protected void round() {
        for (int shard : shards.get()) {
            if (!running()) {
                return;
            }
            try {
                relayShard(shard);
            } catch (Exception e) {
                LOG.warn("shard {}: outbox relay error ({}); retrying", shard, e.toString());
            }
        }
    }

    /** Whether the task of this message is still READY under the message's dispatch id. */
    private boolean stillWanted(String message) throws Exception {
        BusMessage parsed;
        try {
            parsed = JSON.readValue(message, BusMessage.class);
        } catch (IOException e) {
            return true; // not ours to judge: the worker's dead-letter path deals with it
        }
        if (!(parsed instanceof TaskMessage task) || !JobId.isValid(task.job())) {
            return true;
        }
        List<KeyValue<String, String>> state = redis.hmget(keys.task(new JobId(task.job()), task.node()), "state", "dispatch")
                .get(10, TimeUnit.SECONDS);
        return "READY".equals(state.get(0).getValueOrElse(null))
                && Long.toString(task.dispatch()).equals(state.get(1).getValueOrElse(null));
    }

    /** Publishes this shard's entries older than the grace period; returns how many. */
    public int relayShard(int shard) throws Exception {
        int total = 0;
        while (true) {
            long cutoff = System.currentTimeMillis() - grace.toMillis();
            List<StreamMessage<String, String>> old = redis.xrange(keys.outbox(shard),
                    Range.create("-", Long.toString(cutoff)), Limit.create(0, BATCH)).get(30, TimeUnit.SECONDS);
            if (old.isEmpty()) {
                return total;
            }
            List<OutboxEntry> entries = new ArrayList<>(old.size());
            for (StreamMessage<String, String> m : old) {
                String pool = m.getBody().get("p");
                String message = m.getBody().get("m");
                if (pool == null || message == null) {
                    LOG.error("shard {}: deleting malformed outbox entry {}", shard, m.getId());
                    redis.xdel(keys.outbox(shard), m.getId()).get(10, TimeUnit.SECONDS);
                    continue;
                }
                if (stillWanted(message)) {
                    entries.add(new OutboxEntry(m.getId(), pool, message, shard, m.getBody().getOrDefault("r", "")));
                } else {
                    // claimed, re-dispatched or ended since: publishing would only make a duplicate
                    redis.xdel(keys.outbox(shard), m.getId()).get(10, TimeUnit.SECONDS);
                }
            }
            if (entries.isEmpty()) {
                continue;
            }
            LOG.info("shard {}: publishing {} outbox entries left behind", shard, entries.size());
            int confirmed = publisher.publish(entries);
            total += confirmed;
            if (old.size() < BATCH || confirmed < entries.size()) {
                return total;
            }
        }
    }
}
