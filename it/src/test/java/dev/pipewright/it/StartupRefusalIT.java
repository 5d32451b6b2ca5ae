package dev.pipewright.it;

import dev.pipewright.infra.config.RabbitNodes;
import dev.pipewright.infra.config.StartupConnect;
import dev.pipewright.infra.rabbit.RabbitConnector;
import dev.pipewright.infra.redis.RedisConnector;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A process given wrong credentials or a virtual host that does not exist stops at once with the
 * broker's refusal, instead of waiting out its whole connect patience as for a broker not up yet.
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
    void anUnknownRedisUserStopsAtOnce() {
        try (RedisConnector redis = new RedisConnector(URI.create("redis://pw-no-such-user:secret@127.0.0.1:6379"))) {
            refusedQuickly("Redis", "PW_REDIS_URI", "127.0.0.1:6379", redis::connectStrings, "WRONGPASS");
        }
    }
}
