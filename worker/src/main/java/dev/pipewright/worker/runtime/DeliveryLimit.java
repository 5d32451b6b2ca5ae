package dev.pipewright.worker.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.worker.store.AttemptStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A classic queue's stand-in for a quorum queue's delivery limit. A quorum queue dead-letters a
 * message redelivered past its limit (one that crashes workers before they can claim it); a
 * classic queue has no such limit, so the worker counts each redelivery of a message in Redis
 * before it does anything else with it and, past {@link Topology#DELIVERY_LIMIT}, publishes it to
 * the dead-letter exchange with that reason instead of handling it. A message the worker hands back
 * itself (shutdown, pause, Redis down) takes its count back.
 */
final class DeliveryLimit {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryLimit.class);

    /** Where redeliveries are counted (Redis: {@link AttemptStore}). */
    interface Counts {
        long countRedelivery(byte[] body) throws Exception;

        void uncountRedelivery(byte[] body);
    }

    private final Counts store;
    private final Topology topology;
    private final Supplier<Connection> connection;
    private final WorkerMetrics metrics;
    /** A confirming channel for dead letters (created on first use). */
    private Channel deadLetters;

    DeliveryLimit(Counts store, Topology topology, Supplier<Connection> connection, WorkerMetrics metrics) {
        this.store = store;
        this.topology = topology;
        this.connection = connection;
        this.metrics = metrics;
    }

    /**
     * Counts a redelivery and, past the limit, dead-letters the message. True when the delivery was
     * taken care of (dead-lettered and acked, or handed back). A count that cannot be taken (Redis
     * down) lets the message through: the claim needs Redis too, and hands it back.
     */
    boolean overLimit(Delivery delivery) throws InterruptedException {
        long count;
        try {
            count = store.countRedelivery(delivery.body);
        } catch (Exception e) {
            LOG.warn("cannot count a redelivery on pool {} ({}); handling the message", delivery.pool.pool, e.toString());
            return false;
        }
        byte[] body = delivery.body;
        delivery.uncount = () -> store.uncountRedelivery(body);
        if (count <= Topology.DELIVERY_LIMIT) {
            return false;
        }
        try {
            deadLetter(delivery.pool.queue, body, count);
        } catch (Exception e) {
            LOG.warn("cannot dead-letter a message redelivered {} times on pool {} ({}); handing it back", count, delivery.pool.pool, e.toString());
            delivery.uncount = null; // it was counted rightly: the next delivery tries again
            Thread.sleep(1000);
            delivery.handBack();
            return true;
        }
        LOG.warn("dead-lettered a message redelivered {} times on pool {} (the delivery limit is {})", count, delivery.pool.pool,
                Topology.DELIVERY_LIMIT);
        metrics.deadLettered(delivery.pool.pool);
        delivery.ack();
        delivery.pool.acks.flush();
        return true;
    }

    /** Publishes a message to the dead-letter exchange, confirmed, saying it passed the delivery limit. */
    private synchronized void deadLetter(String queue, byte[] body, long deliveries) throws Exception {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put(Topology.DEATH_HEADER, "delivery_limit");
        headers.put(Topology.DEATH_QUEUE_HEADER, queue);
        headers.put(Topology.DEATH_COUNT_HEADER, deliveries);
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("application/json")
                .headers(headers).build();
        if (deadLetters == null || !deadLetters.isOpen()) {
            deadLetters = connection.get().createChannel();
            deadLetters.confirmSelect();
        }
        deadLetters.basicPublish(topology.keys().deadLetterExchange(), queue, props, body);
        deadLetters.waitForConfirmsOrDie(10_000);
    }
}
