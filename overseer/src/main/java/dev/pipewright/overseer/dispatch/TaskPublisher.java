package dev.pipewright.overseer.dispatch;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Publishes outbox entries to their pool queues (persistent, mandatory, publisher confirms) and
 * deletes each entry from the outbox only once RabbitMQ has confirmed it. An entry that is not
 * confirmed stays in the outbox, where the {@link OutboxRelay} finds it. One publisher per thread:
 * a RabbitMQ channel must not be shared by concurrent publishers.
 */
public final class TaskPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TaskPublisher.class);
    private static final long CONFIRM_TIMEOUT_MS = 30_000;

    private final Keys keys;
    private final Connection rabbit;
    private final Topology topology;
    private final RedisAsyncCommands<String, String> redis;
    private final OverseerMetrics metrics;
    private final Set<String> declaredPools = new HashSet<>();
    private final Set<String> returned = ConcurrentHashMap.newKeySet();
    private Channel channel;

    public TaskPublisher(Keys keys, Connection rabbit, Topology topology, RedisAsyncCommands<String, String> redis,
                         OverseerMetrics metrics) {
        this.keys = keys;
        this.rabbit = rabbit;
        this.topology = topology;
        this.redis = redis;
        this.metrics = metrics;
    }

    /**
     * Publishes the entries of one shard's outbox and removes the confirmed ones from it; returns
     * how many were confirmed. Throws when RabbitMQ did not confirm (the entries stay in the outbox).
     */
    public int publish(int shard, List<OutboxEntry> entries) throws Exception {
        if (entries.isEmpty()) {
            return 0;
        }
        Channel ch = channel();
        returned.clear();
        for (OutboxEntry e : entries) {
            if (declaredPools.add(e.pool())) {
                topology.declarePool(ch, e.pool());
            }
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).contentType("application/json").messageId(e.id()).build();
            ch.basicPublish(keys.taskExchange(), e.pool(), true, props, e.message().getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MS);
        List<String> confirmed = new ArrayList<>(entries.size());
        List<OutboxEntry> confirmedEntries = new ArrayList<>(entries.size());
        for (OutboxEntry e : entries) {
            if (!returned.contains(e.id())) {
                confirmed.add(e.id());
                confirmedEntries.add(e);
            }
        }
        if (confirmed.size() < entries.size()) {
            LOG.warn("{} task messages were unroutable; their queues are declared again and the relay retries them",
                    entries.size() - confirmed.size());
            declaredPools.clear();
        }
        if (!confirmed.isEmpty()) {
            redis.xdel(keys.outbox(shard), confirmed.toArray(new String[0])).get(30, TimeUnit.SECONDS);
            long now = System.currentTimeMillis();
            for (OutboxEntry e : confirmedEntries) {
                metrics.dispatched(e, entryMillis(e.id(), now), now);
            }
        }
        return confirmed.size();
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

    /** Publishes what a script dispatched, grouped by shard; failures are logged and left to the relay. */
    public void publishQuietly(Map<Integer, List<OutboxEntry>> byShard) {
        byShard.forEach((shard, entries) -> {
            try {
                publish(shard, entries);
            } catch (Exception e) {
                LOG.warn("publishing {} task messages failed ({}); the outbox relay will retry them", entries.size(), e.toString());
                closeChannel();
            }
        });
    }

    private Channel channel() throws Exception {
        if (channel == null || !channel.isOpen()) {
            channel = rabbit.createChannel();
            channel.confirmSelect();
            channel.addReturnListener(r -> returned.add(r.getProperties().getMessageId()));
            topology.declareShared(channel);
            declaredPools.clear();
        }
        return channel;
    }

    private void closeChannel() {
        try {
            if (channel != null && channel.isOpen()) {
                channel.close();
            }
        } catch (Exception ignored) {
            // replaced on next use
        }
        channel = null;
    }

    @Override
    public void close() {
        closeChannel();
    }
}
