package dev.pipewright.overseer.deadletter;

import com.rabbitmq.client.AMQP;
import dev.pipewright.infra.rabbit.Topology;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The reason a dead letter's record gives: RabbitMQ's own x-death, or the header a worker set on a classic queue. */
class DeadLetterReasonTest {
    private static AMQP.BasicProperties headers(Map<String, Object> headers) {
        return new AMQP.BasicProperties.Builder().headers(headers).build();
    }

    @Test
    void aQuorumQueuesDeliveryLimitComesFromXDeath() {
        AMQP.BasicProperties props = headers(Map.of("x-death", List.of(Map.of("reason", "delivery_limit", "queue", "pw.pool.a", "count", 1L))));
        assertEquals("delivery_limit", DeadLetterConsumer.reasonCode(props));
        assertEquals("redelivered more than the queue's delivery limit (workers crashed or failed before claiming it) [queue pw.pool.a, count 1]",
                DeadLetterConsumer.reason(props));
    }

    @Test
    void aWorkerDeadLetteringForAClassicQueueSaysTheSame() {
        AMQP.BasicProperties props = headers(Map.of(Topology.DEATH_HEADER, "delivery_limit", Topology.DEATH_QUEUE_HEADER, "pw.pool.b",
                Topology.DEATH_COUNT_HEADER, 6L));
        assertEquals("delivery_limit", DeadLetterConsumer.reasonCode(props));
        assertEquals("redelivered more than the queue's delivery limit (workers crashed or failed before claiming it) [queue pw.pool.b, count 6]",
                DeadLetterConsumer.reason(props));
    }

    @Test
    void anUnreadableMessageWasRejected() {
        AMQP.BasicProperties props = headers(Map.of("x-death", List.of(Map.of("reason", "rejected", "queue", "pw.pool.a", "count", 1L))));
        assertEquals("rejected", DeadLetterConsumer.reasonCode(props));
        assertEquals("rejected by a worker (unreadable) [queue pw.pool.a, count 1]", DeadLetterConsumer.reason(props));
        assertEquals("unknown", DeadLetterConsumer.reasonCode(headers(null)));
        assertEquals("dead-lettered", DeadLetterConsumer.reason(null));
    }
}
