package dev.pipewright.overseer.dispatch;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.TaskMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes outbox entries to their pool queues (persistent, mandatory, publisher confirms) and
 * deletes each entry from the outbox only once RabbitMQ has confirmed it. Confirms are handled as
 * they arrive ({@link ConfirmListener}, {@code multiple} acks included), so a caller never waits for
 * them: an entry that is not confirmed (nacked, unroutable, its channel closed) simply stays in the
 * outbox, where the {@link OutboxRelay} finds it. Publishing is serialised per publisher: a
 * RabbitMQ channel must not be used by concurrent publishers.
 */
public final class TaskPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TaskPublisher.class);
    private static final long CONFIRM_TIMEOUT_MS = 30_000;

    private final Keys keys;
    private final Connection rabbit;
    private final Topology topology;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final OverseerMetrics metrics;
    private final Set<String> declaredPools = new HashSet<>();
    private Channel channel;
    /** The channel's unconfirmed publishes by sequence number. */
    private ConcurrentNavigableMap<Long, Pending> unconfirmed = new ConcurrentSkipListMap<>();
    /** Message ids RabbitMQ returned as unroutable (a return arrives before the publish's confirm). */
    private final Set<String> returned = ConcurrentHashMap.newKeySet();
    private volatile boolean redeclare;

    /** A published entry waiting for its confirm; {@code done} completes with whether it was confirmed. */
    private record Pending(OutboxEntry entry, CompletableFuture<Boolean> done) {
    }

    public TaskPublisher(Keys keys, Connection rabbit, Topology topology, RedisClusterAsyncCommands<String, String> redis,
                         OverseerMetrics metrics) {
        this.keys = keys;
        this.rabbit = rabbit;
        this.topology = topology;
        this.redis = redis;
        this.metrics = metrics;
    }

    /**
     * Publishes the entries and returns at once; each entry leaves the outbox when confirmed. The
     * futures complete with whether their entry was confirmed (false: nacked, unroutable, or the
     * channel closed first). Throws when they cannot be published at all (they stay in the outbox).
     */
    public synchronized List<CompletableFuture<Boolean>> publishAsync(List<OutboxEntry> entries) throws Exception {
        List<CompletableFuture<Boolean>> out = new ArrayList<>(entries.size());
        if (entries.isEmpty()) {
            return out;
        }
        Channel ch = channel();
        if (redeclare) {
            redeclare = false;
            declaredPools.clear();
        }
        for (OutboxEntry e : entries) {
            if (declaredPools.add(e.pool())) {
                topology.declarePool(ch, e.pool());
            }
            AMQP.BasicProperties.Builder props = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).contentType("application/json").messageId(e.id());
            if (e.processor() != null && !e.processor().isEmpty()) {
                props.headers(Map.of(TaskMessage.PROCESSOR_HEADER, e.processor()));
            }
            Pending p = new Pending(e, new CompletableFuture<>());
            unconfirmed.put(ch.getNextPublishSeqNo(), p);
            out.add(p.done());
            ch.basicPublish(keys.taskExchange(), e.pool(), true, props.build(), e.message().getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /**
     * Publishes the entries and waits for their confirms; returns how many were confirmed (and so
     * deleted from the outbox). Throws when RabbitMQ did not answer in time (the entries stay).
     */
    public int publish(List<OutboxEntry> entries) throws Exception {
        if (entries.isEmpty()) {
            return 0;
        }
        List<CompletableFuture<Boolean>> confirms = publishAsync(entries);
        CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])).get(CONFIRM_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        int confirmed = 0;
        for (CompletableFuture<Boolean> c : confirms) {
            confirmed += c.join() ? 1 : 0;
        }
        if (confirmed < entries.size()) {
            LOG.warn("{} task messages were not confirmed; their queues are declared again and the relay retries them",
                    entries.size() - confirmed);
        }
        return confirmed;
    }

    /** Publishes what a script dispatched without waiting; a failure is logged and left to the relay. */
    public void publishQuietly(List<OutboxEntry> entries) {
        try {
            publishAsync(entries);
        } catch (Exception e) {
            warnFailed(entries.size(), e);
            closeChannel();
        }
    }

    /** While the broker is away every publisher fails every batch: one warning per interval says so, with the count. */
    private static final long FAILURE_WARNING_EVERY = TimeUnit.SECONDS.toNanos(5);
    private static final AtomicLong lastFailureWarning = new AtomicLong(System.nanoTime() - FAILURE_WARNING_EVERY);
    private static final AtomicInteger failuresUnsaid = new AtomicInteger();

    private static void warnFailed(int messages, Exception e) {
        int failures = failuresUnsaid.incrementAndGet();
        long now = System.nanoTime();
        long last = lastFailureWarning.get();
        if (now - last >= FAILURE_WARNING_EVERY && lastFailureWarning.compareAndSet(last, now)) {
            failuresUnsaid.addAndGet(-failures);
            LOG.warn("publishing {} task messages failed ({}){}; the outbox relay will retry them", messages, e.toString(),
                    failures > 1 ? " (" + (failures - 1) + " more publishes failed since the last warning)" : "");
        }
    }

    /** A stream entry id starts with the millisecond Redis appended it at ({@code fallback} for anything else). */
    static long entryMillis(String id, long fallback) {
        int dash = id.indexOf('-');
        try {
            return Long.parseLong(dash > 0 ? id.substring(0, dash) : id);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Settles the publishes up to {@code seq} (only {@code seq} unless {@code multiple}). */
    private void settle(ConcurrentNavigableMap<Long, Pending> map, long seq, boolean multiple, boolean ack) {
        List<Pending> settled;
        if (multiple) {
            ConcurrentNavigableMap<Long, Pending> done = map.headMap(seq, true);
            settled = new ArrayList<>(done.values());
            done.clear();
        } else {
            Pending p = map.remove(seq);
            settled = p == null ? List.of() : List.of(p);
        }
        if (settled.isEmpty()) {
            return;
        }
        List<OutboxEntry> confirmed = new ArrayList<>(settled.size());
        int notConfirmed = 0;
        for (Pending p : settled) {
            boolean ok = ack && !returned.remove(p.entry().id());
            if (ok) {
                confirmed.add(p.entry());
            } else {
                notConfirmed++;
            }
            p.done().complete(ok);
        }
        if (notConfirmed > 0) {
            // an unroutable message: declare its queue again on the next publish (a flag, not this
            // publisher's lock: a publish blocked by the broker waits for this very thread to read on)
            redeclare = true;
        }
        long now = System.currentTimeMillis();
        OutboxEntry.byShard(confirmed).forEach((shard, entries) -> {
            redis.xdel(keys.outbox(shard), entries.stream().map(OutboxEntry::id).toArray(String[]::new))
                    .exceptionally(e -> {
                        LOG.warn("cannot delete {} confirmed outbox entries of shard {} ({}); the relay will find them still wanted or not",
                                entries.size(), shard, e.toString());
                        return 0L;
                    });
            for (OutboxEntry e : entries) {
                metrics.dispatched(e, entryMillis(e.id(), now), now);
            }
        });
    }

    private Channel channel() throws Exception {
        if (channel == null || !channel.isOpen()) {
            Channel ch = rabbit.createChannel();
            ch.confirmSelect();
            ConcurrentNavigableMap<Long, Pending> map = new ConcurrentSkipListMap<>();
            ch.addReturnListener(r -> returned.add(r.getProperties().getMessageId()));
            ch.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long seq, boolean multiple) {
                    settle(map, seq, multiple, true);
                }

                @Override
                public void handleNack(long seq, boolean multiple) {
                    settle(map, seq, multiple, false);
                }
            });
            // publishes the channel took with it when it closed are not confirmed: the relay has them
            ch.addShutdownListener(cause -> settle(map, Long.MAX_VALUE, true, false));
            topology.declareShared(ch);
            declaredPools.clear();
            channel = ch;
            unconfirmed = map;
        }
        return channel;
    }

    private synchronized void closeChannel() {
        Channel ch = channel;
        channel = null;
        if (ch == null) {
            return;
        }
        try {
            if (ch.isOpen()) {
                ch.close();
            } else {
                // closed by a lost connection: the client would re-open it with the connection, beside the one that
                // replaces it here, a channel nobody uses left on the broker after every outage; abort takes it out
                ch.abort();
            }
        } catch (Exception ignored) {
            // replaced on next use
        }
    }

    @Override
    public void close() {
        closeChannel();
    }
}
