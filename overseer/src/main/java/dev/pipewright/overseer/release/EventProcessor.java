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
import dev.pipewright.protocol.data.ObjectRef;
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
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.pipewright.infra.redis.Scripts.bytes;

/**
 * Reads one shard's completion events with a consumer group and applies each with the release
 * script (which acknowledges it in the same atomic step). Outputs that have a {@code source} are
 * copied to the data store first, so a crash in between repeats the copy, never skips it.
 *
 * <p>No event stalls the shard: one that fails (a copy, or its release) waits for its next try with
 * back-off ({@link Retries}) while the events after it are read and released; after a bounded number
 * of tries, or at once when the data store refuses its path for good, it is set aside with its
 * reason ({@link StateGateway#setAside}): its job fails and operators find it in the shard's
 * set-aside list. Normal events cost no call more than before.
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
    private final Retries retries = new Retries();
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
        // history: the group's pending entries (read from 'historyFrom' on), to be read before new ones
        boolean pending = true;
        String historyFrom = "0";
        // the ids one pass over the history (from "0" to its end) has met
        Set<String> inHistory = new HashSet<>();
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
                long now = System.currentTimeMillis();
                if (!pending && retries.nextDue() <= now) {
                    pending = true; // a failed event is due for another try
                    historyFrom = "0";
                }
                // new events are read while failed ones wait for their next try: one event that keeps
                // failing never holds back those after it
                List<StreamMessage<String, String>> batch = pending
                        ? redis.xreadgroup(Consumer.from(GROUP, consumer), XReadArgs.Builder.count(BATCH), XReadArgs.StreamOffset.from(stream, historyFrom))
                        : redis.xreadgroup(Consumer.from(GROUP, consumer), XReadArgs.Builder.count(BATCH).block(blockMillis(now)),
                                XReadArgs.StreamOffset.lastConsumed(stream));
                if (pending) {
                    for (StreamMessage<String, String> m : batch) {
                        inHistory.add(m.getId());
                    }
                }
                if (pending && batch.size() == BATCH) {
                    historyFrom = batch.get(batch.size() - 1).getId(); // the history goes on after this batch
                } else if (pending) {
                    // the whole history was read: a failed event no longer in it was released after all (the
                    // call went through, its reply was lost with the connection). Kept, it would stay due for
                    // ever and every round would read the history again instead of the new events.
                    retries.retainOnly(inHistory);
                    inHistory.clear();
                    pending = false;
                    historyFrom = "0";
                }
                if (!batch.isEmpty()) {
                    apply(stream, batch);
                }
            } catch (Exception e) {
                if (!running) {
                    break;
                }
                LOG.warn("shard {}: event processing error ({}); retrying", shard, e.toString());
                pending = true;
                historyFrom = "0";
                inHistory.clear();
                groupReady = false;
                sleep(1000);
            }
        }
        publisher.close();
    }

    /** How long a read for new events may block: at most a second, less when a failed event is due sooner. */
    private long blockMillis(long now) {
        long due = retries.nextDue();
        return due == Long.MAX_VALUE ? 1000 : Math.max(1, Math.min(1000, due - now));
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

    /**
     * Applies a batch: its events in one release call, except those that failed before (each of
     * them alone, so that one the release script cannot apply holds back no other) and those whose
     * next try is not due yet (left pending).
     */
    private void apply(String stream, List<StreamMessage<String, String>> batch) {
        List<StateGateway.Event> events = new ArrayList<>(batch.size());
        List<Long> eventTimes = new ArrayList<>(batch.size());
        List<StateGateway.Event> alone = new ArrayList<>();
        long now = System.currentTimeMillis();
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
            if (retries.waiting(entry.getId(), now)) {
                continue;
            }
            StateGateway.Event event = new StateGateway.Event(entry.getId(), job, node, outcome);
            if (f.get("w") != null && !copyToDataStore(event, f.get("w"), now)) {
                continue;
            }
            if (retries.failedBefore(entry.getId())) {
                alone.add(event);
                continue;
            }
            eventTimes.add(entryMillis(entry.getId()));
            events.add(event);
        }
        if (!events.isEmpty()) {
            release(events, eventTimes);
        }
        for (StateGateway.Event event : alone) {
            if (running) {
                release(List.of(event), List.of(entryMillis(event.entryId())));
            }
        }
    }

    /** Releases events in one call; when the call fails, each counts a failed try (and is set aside when out of tries). */
    private void release(List<StateGateway.Event> events, List<Long> eventTimes) {
        OutboxEntry.Reply reply;
        try {
            reply = OutboxEntry.Reply.of(state.await(state.release(lease, GROUP, events)));
        } catch (ShardLease.Lost e) {
            LOG.warn("shard {}: {}; leaving its events to the new owner", shard, e.getMessage());
            running = false;
            return;
        } catch (Exception e) {
            LOG.warn("shard {}: release of {} events failed ({}); they stay pending", shard, events.size(), e.toString());
            long now = System.currentTimeMillis();
            for (StateGateway.Event event : events) {
                if (!Retries.refusedByScript(e)) {
                    retries.postpone(event.entryId(), e.toString(), now); // the store, not the event: no try used up
                } else if (retries.failed(event.entryId(), e.getMessage(), false, now)) {
                    setAside(StateGateway.AsideKind.EVENT, event, "the event could not be applied after " + Retries.MAX_TRIES
                            + " tries: " + e.getMessage());
                }
            }
            return;
        }
        for (StateGateway.Event event : events) {
            retries.succeeded(event.entryId());
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
        for (int i = 0; i < events.size() && i < statuses.length; i++) {
            if (statuses[i].startsWith("error:")) {
                // the script could not apply it (the job's state is not what it expects): a retry would
                // read it as a duplicate, so its job is failed with the reason instead
                setAside(StateGateway.AsideKind.EVENT, events.get(i), "releasing the task's end failed: " + statuses[i].substring(6));
            }
        }
    }

    /** Sets an item aside (see {@link StateGateway#setAside}); false when that failed too (it is tried again later). */
    private boolean setAside(StateGateway.AsideKind kind, StateGateway.Event event, String reason) {
        try {
            OutboxEntry.Reply reply = state.setAside(lease, GROUP, kind, event.entryId(), event.job(), event.node(), reason);
            metrics.ended(reply.ends());
            if (!reply.dispatched().isEmpty()) {
                publisher.publishQuietly(reply.dispatched());
            }
            LOG.error("shard {}: set aside event {} of job {} (task {}): {}; the job: {}", shard, event.entryId(), event.job(),
                    event.node(), reason, reply.status());
            metrics.setAside(kind.wire());
            return true;
        } catch (ShardLease.Lost e) {
            running = false;
            return false;
        } catch (Exception e) {
            LOG.warn("shard {}: cannot set aside event {} ({}); trying again later", shard, event.entryId(), e.toString());
            retries.postpone(event.entryId(), reason, System.currentTimeMillis());
            return false;
        }
    }

    /** A stream entry id starts with the millisecond Redis appended it at. */
    private static long entryMillis(String id) {
        int dash = id.indexOf('-');
        return Long.parseLong(dash > 0 ? id.substring(0, dash) : id);
    }

    /**
     * Copies the event's outputs that have a source to the data store; true when they are there. An
     * output the data store refuses for good (a directory, a path leaving its area) sets its job aside
     * at once, then the event is released as usual (true); any other failure is tried again with
     * back-off, a bounded number of times, then set aside in the same way.
     */
    private boolean copyToDataStore(StateGateway.Event event, String sinkJson, long now) {
        JobId id = new JobId(event.job());
        String failure;
        boolean permanent;
        try {
            JsonNode sink = JSON.readTree(sinkJson);
            for (Iterator<Map.Entry<String, JsonNode>> it = sink.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                byte[] value;
                try {
                    value = bytesConnection.async().hget(bytes(keys.data(id)), bytes(e.getKey())).get(30, TimeUnit.SECONDS);
                } catch (Exception redisDown) {
                    LOG.warn("cannot read outputs of job {} ({}); will retry", id, redisDown.toString());
                    retries.postpone(event.entryId(), redisDown.toString(), now);
                    return false;
                }
                if (value != null && ObjectRef.isRef(value)) {
                    // a large consumable: copied object to object (or streamed to a file), never loaded here
                    dataStore.copy(e.getValue().asText(), ObjectRef.decode(value));
                } else if (value != null) {
                    dataStore.write(e.getValue().asText(), value);
                }
            }
            return true;
        } catch (DataStore.Refused e) {
            failure = e.getMessage();
            permanent = true;
        } catch (Exception e) {
            failure = e.toString();
            permanent = false;
        }
        String reason = "outputs of task '" + event.node() + "' could not be written to the data store: " + failure;
        if (!retries.failed(event.entryId(), reason, permanent, now)) {
            LOG.warn("cannot copy outputs of job {} to the data store ({}); will retry", id, failure);
            return false;
        }
        // set aside: the job is stopped with the reason, then the event is released like any other
        return setAside(StateGateway.AsideKind.STORE, event, permanent ? reason : reason + " (after " + Retries.MAX_TRIES + " tries)");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
