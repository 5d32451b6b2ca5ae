package dev.pipewright.overseer.release;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.datastore.DataStore;
import dev.pipewright.overseer.dispatch.StreamGroups;
import dev.pipewright.overseer.dispatch.TaskPublisher;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.pipewright.infra.redis.Scripts.bytes;

/**
 * Reads one shard's completion events with a consumer group and applies each with the release
 * script (which acknowledges it in the same atomic step). Outputs that have a {@code source} are
 * copied to the data store first, so a crash in between repeats the copy, never skips it.
 */
public final class EventProcessor implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(EventProcessor.class);
    public static final String GROUP = "overseer";
    private static final int BATCH = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Keys keys;
    private final int shard;
    private final ShardLease lease;
    private final String consumer;
    private final RedisLink<String, String> connection;
    private final StateGateway state;
    private final RedisLink<byte[], byte[]> bytesConnection;
    private final DataStore dataStore;
    private final OverseerMetrics metrics;
    private final TaskPublisher publisher;
    private volatile boolean running = true;
    private boolean groupReady;

    public EventProcessor(Keys keys, ShardLease lease, String consumer, RedisLink<String, String> connection,
                          RedisLink<byte[], byte[]> bytesConnection, DataStore dataStore, OverseerMetrics metrics,
                          TaskPublisher publisher) {
        this.keys = keys;
        this.shard = lease.shard();
        this.lease = lease;
        this.consumer = consumer;
        this.connection = connection;
        this.bytesConnection = bytesConnection;
        this.state = new StateGateway(keys, bytesConnection, Duration.ofSeconds(30));
        this.dataStore = dataStore;
        this.metrics = metrics;
        this.publisher = publisher;
    }

    public void stop() {
        running = false;
    }

    @Override
    public void run() {
        RedisClusterCommands<String, String> redis = connection.sync();
        String stream = keys.events(shard);
        boolean pending = true;
        long lastClaim = 0;
        // the shard's previous overseer is fenced off now: what it read and did not release is ours at once
        Duration idle = Duration.ZERO;
        while (running) {
            try {
                if (!groupReady) {
                    StreamGroups.ensure(redis, stream, GROUP);
                    groupReady = true;
                }
                if (System.currentTimeMillis() - lastClaim > 10_000) {
                    lastClaim = System.currentTimeMillis();
                    var claimed = redis.xautoclaim(stream, XAutoClaimArgs.Builder.xautoclaim(Consumer.from(GROUP, consumer),
                            idle, "0-0").count(BATCH));
                    if (idle.isZero()) {
                        forgetIdleConsumers(redis, stream);
                    }
                    idle = Duration.ofSeconds(15);
                    if (claimed != null && !claimed.getMessages().isEmpty()) {
                        pending = true;
                    }
                }
                List<StreamMessage<String, String>> batch = pending
                        ? redis.xreadgroup(Consumer.from(GROUP, consumer), XReadArgs.Builder.count(BATCH), XReadArgs.StreamOffset.from(stream, "0"))
                        : redis.xreadgroup(Consumer.from(GROUP, consumer), XReadArgs.Builder.count(BATCH).block(1000), XReadArgs.StreamOffset.lastConsumed(stream));
                if (batch.isEmpty()) {
                    pending = false;
                    continue;
                }
                boolean failed = apply(stream, batch);
                pending = failed || (pending && batch.size() == BATCH);
                if (failed) {
                    Thread.sleep(500);
                }
            } catch (Exception e) {
                if (!running) {
                    break;
                }
                LOG.warn("shard {}: event processing error ({}); retrying", shard, e.toString());
                pending = true;
                groupReady = false;
                sleep(1000);
            }
        }
        publisher.close();
    }

    /**
     * Removes the group's other consumers that hold no pending event: overseers that served the shard
     * before (each rollout names new ones), which would otherwise pile up in the group for ever.
     * One still holding events keeps them until they are claimed on a later round.
     */
    private void forgetIdleConsumers(RedisClusterCommands<String, String> redis, String stream) {
        try {
            for (Object info : redis.xinfoConsumers(stream, GROUP)) {
                Map<String, Object> fields = new java.util.HashMap<>();
                if (info instanceof List<?> pairs) {
                    for (int i = 0; i + 1 < pairs.size(); i += 2) {
                        fields.put(String.valueOf(pairs.get(i)), pairs.get(i + 1));
                    }
                }
                String name = String.valueOf(fields.get("name"));
                if (!name.equals(consumer) && fields.get("pending") instanceof Long pending && pending == 0) {
                    redis.xgroupDelconsumer(stream, Consumer.from(GROUP, name));
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("shard {}: cannot tidy the consumer group ({})", shard, e.toString());
        }
    }

    /** Applies a batch in one release call; returns true when some events must be tried again. */
    private boolean apply(String stream, List<StreamMessage<String, String>> batch) {
        List<StateGateway.Event> events = new ArrayList<>(batch.size());
        List<Long> eventTimes = new ArrayList<>(batch.size());
        boolean failed = false;
        for (StreamMessage<String, String> entry : batch) {
            Map<String, String> f = entry.getBody();
            String job = f.get("j");
            String node = f.get("n");
            String outcome = f.get("o");
            if (job == null || node == null || outcome == null || !JobId.isValid(job)) {
                LOG.error("shard {}: acknowledging malformed event {} {}", shard, entry.getId(), f);
                connection.async().xack(stream, GROUP, entry.getId());
                continue;
            }
            if (f.get("w") != null && !copyToDataStore(new JobId(job), f.get("w"))) {
                failed = true;
                continue;
            }
            eventTimes.add(entryMillis(entry.getId()));
            events.add(new StateGateway.Event(entry.getId(), job, node, outcome));
        }
        if (events.isEmpty()) {
            return failed;
        }
        OutboxEntry.Reply reply;
        try {
            reply = OutboxEntry.Reply.of(state.await(state.release(lease, GROUP, events)));
        } catch (ShardLease.Lost e) {
            LOG.warn("shard {}: {}; leaving its events to the new owner", shard, e.getMessage());
            running = false;
            return false;
        } catch (Exception e) {
            LOG.warn("shard {}: release of {} events failed ({}); they stay pending", shard, events.size(), e.toString());
            return true;
        }
        try {
            reply = state.settle(reply); // concurrency slots the ended tasks give back go to waiting ones
        } catch (Exception e) {
            LOG.warn("shard {}: handing over concurrency slots failed ({}); the sweep will", shard, e.toString());
        }
        if (!reply.dispatched().isEmpty()) {
            publisher.publishQuietly(reply.dispatched());
        }
        metrics.ended(reply.ends());
        metrics.shardEvents(shard, events.size());
        String[] statuses = reply.status().split(",", -1);
        long now = System.currentTimeMillis();
        for (int i = 0; i < eventTimes.size(); i++) {
            String status = i < statuses.length ? statuses[i] : "";
            metrics.event("duplicate".equals(status), eventTimes.get(i), now);
            if (!status.isEmpty() && Character.isDigit(status.charAt(0)) && !status.equals("0")) {
                metrics.releaseLatency(now - eventTimes.get(i));
            }
        }
        return failed;
    }

    /** A stream entry id starts with the millisecond Redis appended it at. */
    private static long entryMillis(String id) {
        int dash = id.indexOf('-');
        return Long.parseLong(dash > 0 ? id.substring(0, dash) : id);
    }

    private boolean copyToDataStore(JobId id, String sinkJson) {
        try {
            JsonNode sink = JSON.readTree(sinkJson);
            for (Iterator<Map.Entry<String, JsonNode>> it = sink.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                byte[] value = bytesConnection.async().hget(bytes(keys.data(id)), bytes(e.getKey())).get(30, TimeUnit.SECONDS);
                if (value != null) {
                    dataStore.write(e.getValue().asText(), value);
                }
            }
            return true;
        } catch (Exception e) {
            LOG.warn("cannot copy outputs of job {} to the data store ({}); will retry", id, e.toString());
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
