package dev.pipewright.overseer.limits;

import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.SlotRequest;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.loop.PeriodicLoop;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Repairs the two-step hand-over of concurrency slots (a shard script asks, the caller takes the slot
 * in {@code {limits}} and grants it in the shard) for an overseer or API call that died between the
 * steps: in the shards this overseer holds, waits older than {@link #ASK_AGAIN_AFTER} are asked for
 * again (taking a slot is idempotent), and slots whose holders ended without giving them back are
 * given back. Both cost one call per shard when nothing is limited.
 */
public final class SlotSweep extends PeriodicLoop {
    private static final Logger LOG = LoggerFactory.getLogger(SlotSweep.class);
    /** Longer than any normal hand-over, which takes a few round trips. */
    public static final Duration ASK_AGAIN_AFTER = Duration.ofSeconds(15);
    private static final int ASK_BATCH = 500;

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final StateGateway state;
    private final PublisherPool publishers;
    private final OverseerMetrics metrics;
    private final Supplier<Collection<Integer>> shards;

    public SlotSweep(Keys keys, RedisClusterAsyncCommands<String, String> redis, StateGateway state, PublisherPool publishers,
                     OverseerMetrics metrics, Supplier<Collection<Integer>> shards, Duration interval) {
        super(interval);
        this.keys = keys;
        this.redis = redis;
        this.state = state;
        this.publishers = publishers;
        this.metrics = metrics;
        this.shards = shards;
    }

    @Override
    protected void round() throws Exception {
        Collection<Integer> held = shards.get();
        if (held.isEmpty()) {
            return;
        }
        List<String> time = redis.time().get(10, TimeUnit.SECONDS);
        long now = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        for (int shard : held) {
            apply(state.askAgain(shard, now - ASK_AGAIN_AFTER.toMillis(), ASK_BATCH));
        }
        giveBackLeaked(new HashSet<>(held));
    }

    private void giveBackLeaked(Set<Integer> held) throws Exception {
        Map<String, String> limits = redis.hgetall(keys.limits()).get(10, TimeUnit.SECONDS);
        Map<Integer, List<SlotRequest>> byShard = new LinkedHashMap<>();
        for (String field : limits.keySet()) {
            int colon = field.indexOf(':');
            String kind = field.substring(0, colon);
            String name = field.substring(colon + 1);
            for (String member : redis.smembers(keys.slots(kind, name)).get(10, TimeUnit.SECONDS)) {
                SlotRequest slot = SlotRequest.giveBack(kind, name, member);
                if (held.contains(slot.shard())) {
                    byShard.computeIfAbsent(slot.shard(), s -> new ArrayList<>()).add(slot);
                }
            }
        }
        for (Map.Entry<Integer, List<SlotRequest>> e : byShard.entrySet()) {
            OutboxEntry.Reply reply = state.checkSlots(e.getKey(), e.getValue());
            if (!reply.status().equals("0")) {
                LOG.warn("shard {}: gave back {} concurrency slots whose tasks or jobs had ended", e.getKey(), reply.status());
            }
            apply(reply);
        }
    }

    private void apply(OutboxEntry.Reply reply) {
        publishers.publishQuietly(reply.dispatched());
        metrics.ended(reply.ends());
    }
}
