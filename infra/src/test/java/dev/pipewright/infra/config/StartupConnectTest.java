package dev.pipewright.infra.config;

import com.rabbitmq.client.AuthenticationFailureException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StartupConnectTest {

    @Test
    void wrongCredentialsAndAMissingVirtualHostAreRefusalsNoWaitFixes() {
        assertTrue(StartupConnect.permanent(new IOException(new AuthenticationFailureException("ACCESS_REFUSED - Login was refused"))));
        assertTrue(StartupConnect.permanent(new IllegalStateException("Unable to connect",
                new RuntimeException("WRONGPASS invalid username-password pair or user is disabled."))));
        assertTrue(StartupConnect.permanent(new RuntimeException("NOAUTH Authentication required.")));
        assertTrue(StartupConnect.permanent(new IOException("connection error; protocol method: #method<connection.close>"
                + "(reply-code=530, reply-text=NOT_ALLOWED - vhost nope not found, class-id=10, method-id=40)")));
        // what Lettuce's cluster client throws when every seed node refused the credentials
        RuntimeException noPartitions = new RuntimeException("Cannot retrieve cluster partitions from [redis://u:******@h1:7000]");
        noPartitions.addSuppressed(new IllegalStateException("Unable to connect to [h1:7000]: WRONGPASS invalid username-password pair",
                new RuntimeException("WRONGPASS invalid username-password pair or user is disabled.")));
        assertTrue(StartupConnect.permanent(new IllegalStateException("Unable to establish a connection to Redis Cluster", noPartitions)));
    }

    @Test
    void aServiceNotUpYetIsWaitedFor() {
        assertFalse(StartupConnect.permanent(new ConnectException("Connection refused")));
        assertFalse(StartupConnect.permanent(new IOException("Connection reset", new IOException("EOF"))));
        AtomicInteger attempts = new AtomicInteger();
        String value = StartupConnect.connect("Thing", "PW_THING", "thing:1", Duration.ofSeconds(10), () -> {
            if (attempts.incrementAndGet() < 2) {
                throw new ConnectException("Connection refused");
            }
            return "up";
        });
        assertEquals("up", value);
        assertEquals(2, attempts.get());
    }

    @Test
    void aRefusalEndsTheWaitAtOnceAndSaysWhy() {
        AtomicInteger attempts = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> StartupConnect.connect("RabbitMQ", "PW_RABBITMQ_URI",
                "amqp://guest:***@127.0.0.1:5672", Duration.ofMinutes(5), () -> {
                    attempts.incrementAndGet();
                    throw new IOException(new AuthenticationFailureException("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"));
                }));
        assertEquals(1, attempts.get());
        assertTrue(e.getMessage().contains("PW_RABBITMQ_URI") && e.getMessage().contains("ACCESS_REFUSED")
                && e.getMessage().contains("waiting would not help"), e.getMessage());
    }
}
