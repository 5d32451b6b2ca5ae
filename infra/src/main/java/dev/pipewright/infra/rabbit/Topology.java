package dev.pipewright.infra.rabbit;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.protocol.keys.Keys;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Exchanges and queues: a direct task exchange routed by pool, one durable queue per pool
 * (quorum with a delivery limit, or classic), and a dead-letter exchange and queue for messages
 * that cannot be handled. Declaring is idempotent, so overseer and workers both declare.
 */
public final class Topology {
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

    public Topology(Keys keys, QueueType queueType) {
        this.keys = keys;
        this.queueType = queueType;
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
        }
        channel.queueDeclare(keys.deadLetterQueue(), true, false, false, dlqArgs);
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
            args.put("x-delivery-limit", DELIVERY_LIMIT);
        }
        channel.queueDeclare(queue, true, false, false, args);
        channel.queueBind(queue, keys.taskExchange(), pool);
        return queue;
    }
}
