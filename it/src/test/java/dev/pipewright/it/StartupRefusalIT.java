package dev.pipewright.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.infra.config.RabbitNodes;
import dev.pipewright.infra.config.StartupConnect;
import dev.pipewright.infra.rabbit.RabbitConnector;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.infra.redis.RedisConnector;
import dev.pipewright.protocol.keys.Keys;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A process given wrong credentials or a virtual host that does not exist stops at once with the
 * broker's refusal, instead of waiting out its whole connect patience as for a broker not up yet;
 * one whose queue type differs from an existing queue's is told what to do about it.
 */
class StartupRefusalIT {
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    private static void refusedQuickly(String service, String setting, String where, java.util.concurrent.Callable<?> attempt,
                                       String expected) {
        long start = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> StartupConnect.connect(service, setting, where, PATIENCE, attempt));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        assertTrue(seconds < 20, service + " refusal took " + seconds + " s of a " + PATIENCE + " patience");
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("waiting would not help"), e.getMessage());
    }

    @Test
    void aWrongRabbitMqPasswordStopsAtOnce() {
        RabbitConnector rabbit = new RabbitConnector(RabbitNodes.parse("amqp://guest:wrong@127.0.0.1:5672/"), null);
        refusedQuickly("RabbitMQ", "PW_RABBITMQ_URI", "127.0.0.1:5672", () -> rabbit.connect("refusal-test"), "ACCESS_REFUSED");
    }

    @Test
    void aMissingRabbitMqVirtualHostStopsAtOnce() {
        RabbitConnector rabbit = new RabbitConnector(RabbitNodes.parse("amqp://guest:guest@127.0.0.1:5672/pw-no-such-vhost"), null);
        refusedQuickly("RabbitMQ", "PW_RABBITMQ_URI", "127.0.0.1:5672", () -> rabbit.connect("refusal-test"), "NOT_ALLOWED");
    }

    @Test
    void aPoolQueueOfAnotherTypeIsRefusedWithWhatToDo() throws Exception {
        Keys keys = new Keys("pwtest-qtype-" + UUID.randomUUID().toString().substring(0, 8), 4);
        RabbitConnector rabbit = new RabbitConnector(RabbitNodes.parse("amqp://guest:guest@127.0.0.1:5672/"), null);
        try (Connection connection = rabbit.connect("queue-type-test")) {
            try (Channel ch = connection.createChannel()) {
                new Topology(keys, QueueType.CLASSIC, 1).declareShared(ch);
                new Topology(keys, QueueType.CLASSIC, 1).declarePool(ch, "default");
            }
            try (Channel ch = connection.createChannel()) {
                IOException e = assertThrows(IOException.class, () -> new Topology(keys, QueueType.QUORUM, 1).declarePool(ch, "default"));
                assertTrue(e.getMessage().contains("queue " + keys.poolQueue("default") + " exists with another type than PW_QUEUE_TYPE=quorum")
                        && e.getMessage().contains("delete_queue"), e.getMessage());
            } catch (com.rabbitmq.client.AlreadyClosedException closed) {
                // the refused declare closed the channel: closing it again is no news
            }
            try (Channel ch = connection.createChannel()) {
                for (String q : keys.poolQueues("default")) {
                    ch.queueDelete(q);
                }
                ch.queueDelete(keys.deadLetterQueue());
                ch.exchangeDelete(keys.taskExchange());
                ch.exchangeDelete(keys.deadLetterExchange());
                ch.exchangeDelete(keys.controlExchange());
            }
        }
    }

    @Test
    void anUnknownRedisUserStopsAtOnce() {
        try (RedisConnector redis = new RedisConnector(URI.create("redis://pw-no-such-user:secret@127.0.0.1:6379"))) {
            refusedQuickly("Redis", "PW_REDIS_URI", "127.0.0.1:6379", redis::connectStrings, "WRONGPASS");
        }
    }
}
