package dev.pipewright.infra.rabbit;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.protocol.keys.Keys;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * Exchanges and queues: a direct task exchange routed by pool, one durable queue per pool
 * (quorum with a delivery limit, or classic), and a dead-letter exchange and queue for messages
 * that cannot be handled. Declaring is idempotent, so overseer and workers both declare.
 *
 * <p>A quorum queue is declared with {@code x-quorum-initial-group-size} ({@code PW_QUORUM_SIZE},
 * default 3): that many nodes of a cluster hold a replica (every node when the cluster is smaller),
 * and the queue goes on while a majority of them run. RabbitMQ reads the argument only when it
 * creates the queue, yet refuses a later declare whose value differs from the one the queue was
 * created with (none, for queues made before this setting existed) and closes the channel. So the
 * first declare of a queue in a process is tried on a channel of its own: when the queue exists
 * with another size it is used as it is (bound, not declared; a warning says so) and the caller's
 * channel stays open. Membership of existing queues changes with {@code rabbitmq-queues grow} and
 * {@code shrink} (docs/operations.md).
 */
public final class Topology {
    private static final Logger LOG = LoggerFactory.getLogger(Topology.class);
    private static final String GROUP_SIZE = "x-quorum-initial-group-size";
    /**
     * Redeliveries a pool's message may have before it is dead-lettered: a quorum queue's
     * {@code x-delivery-limit}; on classic queues the workers count them (TaskConsumer).
     */
    public static final int DELIVERY_LIMIT = 5;
    /**
     * Headers of a message a worker dead-lettered itself (a classic queue has no delivery limit):
     * why ({@code delivery_limit}), from which queue, after how many redeliveries.
     */
    public static final String DEATH_HEADER = "x-pw-death";
    public static final String DEATH_QUEUE_HEADER = "x-pw-death-queue";
    public static final String DEATH_COUNT_HEADER = "x-pw-death-count";

    private final Keys keys;
    private final QueueType queueType;
    private final int quorumSize;
    /** Quorum queues this process declared with its size (a later declare on any channel is safe). */
    private final Set<String> sized = ConcurrentHashMap.newKeySet();
    /** Quorum queues found with another size, warned about once. */
    private final Set<String> otherSize = ConcurrentHashMap.newKeySet();

    public Topology(Keys keys, QueueType queueType) {
        this(keys, queueType, dev.pipewright.infra.config.CommonConfig.DEFAULT_QUORUM_SIZE);
    }

    public Topology(Keys keys, QueueType queueType, int quorumSize) {
        this.keys = keys;
        this.queueType = queueType;
        this.quorumSize = quorumSize;
    }

    public Keys keys() {
        return keys;
    }

    public void declareShared(Channel channel) throws IOException {
        channel.exchangeDeclare(keys.taskExchange(), BuiltinExchangeType.DIRECT, true);
        channel.exchangeDeclare(keys.deadLetterExchange(), BuiltinExchangeType.FANOUT, true);
        channel.exchangeDeclare(keys.controlExchange(), BuiltinExchangeType.FANOUT, true);
        Map<String, Object> dlqArgs = new HashMap<>();
        if (queueType == QueueType.QUORUM) {
            dlqArgs.put("x-queue-type", "quorum");
            dlqArgs.put(GROUP_SIZE, quorumSize);
        }
        declareQueue(channel, keys.deadLetterQueue(), dlqArgs);
        channel.queueBind(keys.deadLetterQueue(), keys.deadLetterExchange(), "");
    }

    /** A worker's own queue for control broadcasts; it goes away with the worker's connection. */
    public String declareControlQueue(Channel channel) throws IOException {
        String queue = channel.queueDeclare("", false, true, true, Map.of()).getQueue();
        channel.queueBind(queue, keys.controlExchange(), "");
        return queue;
    }

    public String declarePool(Channel channel, String pool) throws IOException {
        String queue = keys.poolQueue(pool);
        Map<String, Object> args = new HashMap<>();
        args.put("x-dead-letter-exchange", keys.deadLetterExchange());
        if (queueType == QueueType.QUORUM) {
            args.put("x-queue-type", "quorum");
            args.put(GROUP_SIZE, quorumSize);
            args.put("x-delivery-limit", DELIVERY_LIMIT);
        }
        declareQueue(channel, queue, args);
        channel.queueBind(queue, keys.taskExchange(), pool);
        return queue;
    }

    /** A durable queue; a quorum queue's first declare in this process goes through {@link #sizedOnItsOwnChannel}. */
    private void declareQueue(Channel channel, String queue, Map<String, Object> args) throws IOException {
        try {
            if (args.containsKey(GROUP_SIZE) && !sized.contains(queue) && !sizedOnItsOwnChannel(channel, queue, args)) {
                return;
            }
            channel.queueDeclare(queue, true, false, false, args);
        } catch (IOException e) {
            if (mentions(e, "x-queue-type")) {
                // the broker's own words ('inequivalent arg') do not say what to do about it
                throw new IOException("queue " + queue + " exists with another type than PW_QUEUE_TYPE="
                        + queueType.name().toLowerCase(java.util.Locale.ROOT) + " asks for; a queue's type cannot change: set PW_QUEUE_TYPE "
                        + "to the queue's type, or stop the workers, let the queue drain and delete it (rabbitmqctl delete_queue "
                        + queue + ") so it is declared again (operations.md, \"Changing the queue type\")", e);
            }
            throw e;
        }
    }

    /**
     * Declares the quorum queue on a channel of its own: true when that worked (the caller's declare
     * will too), false when the queue exists with another initial group size (use it as it is). Any
     * other refusal (e.g. a classic queue of that name) is thrown, as the caller's declare would.
     */
    private boolean sizedOnItsOwnChannel(Channel channel, String queue, Map<String, Object> args) throws IOException {
        try (Channel probe = channel.getConnection().createChannel()) {
            probe.queueDeclare(queue, true, false, false, args);
            sized.add(queue);
            return true;
        } catch (IOException e) {
            if (!mentionsGroupSize(e)) {
                throw e;
            }
        } catch (TimeoutException e) {
            throw new IOException("closing the channel of a declare of " + queue + " timed out", e);
        }
        if (otherSize.add(queue)) {
            LOG.warn("quorum queue {} exists with another replication factor than PW_QUORUM_SIZE={} (it was created before the setting "
                    + "or with another value); it is used as it is: change its members with rabbitmq-queues grow/shrink", queue, quorumSize);
        }
        return false;
    }

    private static boolean mentionsGroupSize(Throwable e) {
        return mentions(e, GROUP_SIZE);
    }

    /** Whether the broker refused a declare for an argument that differs from the queue's ({@code PRECONDITION_FAILED}). */
    private static boolean mentions(Throwable e, String argument) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("PRECONDITION_FAILED") && t.getMessage().contains(argument)) {
                return true;
            }
        }
        return false;
    }
}
