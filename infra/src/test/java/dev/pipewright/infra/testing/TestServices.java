package dev.pipewright.infra.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where integration tests find RabbitMQ and Redis: {@code PW_RABBITMQ_URI} / {@code PW_REDIS_URI}
 * first, then the machine's own services on localhost, then Testcontainers where Docker exists.
 * When none works the test fails with a message saying so; it never skips.
 */
public final class TestServices {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static volatile URI rabbit;
    private static volatile URI redis;

    private TestServices() {
    }

    public static synchronized URI rabbitUri() {
        if (rabbit == null) {
            rabbit = find("PW_RABBITMQ_URI", URI.create("amqp://guest:guest@127.0.0.1:5672"), "rabbitmq:3.13-management", 5672, "amqp://guest:guest@%s:%d");
        }
        return rabbit;
    }

    public static synchronized URI redisUri() {
        if (redis == null) {
            redis = find("PW_REDIS_URI", URI.create("redis://127.0.0.1:6379"), "redis:7", 6379, "redis://%s:%d");
        }
        return redis;
    }

    /** A namespace no other test run uses, so suites can share one broker and one Redis. */
    public static String freshNamespace(String prefix) {
        return prefix + "-" + Long.toString(System.currentTimeMillis(), 36) + "-" + SEQ.incrementAndGet();
    }

    private static URI find(String env, URI local, String image, int port, String format) {
        String configured = System.getenv(env);
        if (configured != null && !configured.isBlank()) {
            URI uri = URI.create(configured.trim());
            if (!reachable(uri)) {
                throw new IllegalStateException(env + "=" + configured + " is set but nothing answers there");
            }
            return uri;
        }
        if (reachable(local)) {
            return local;
        }
        try {
            return startContainer(image, port, format);
        } catch (Throwable t) {
            throw new IllegalStateException("no " + image.split(":")[0] + " for the integration tests: " + env
                    + " is not set, nothing listens on " + local.getHost() + ":" + local.getPort()
                    + ", and Testcontainers could not start one (" + t.getMessage() + "). Start the service "
                    + "(see README: Running the tests) or set " + env + ".", t);
        }
    }

    @SuppressWarnings("resource")
    private static URI startContainer(String image, int port, String format) {
        var container = new org.testcontainers.containers.GenericContainer<>(org.testcontainers.utility.DockerImageName.parse(image))
                .withExposedPorts(port);
        container.start();
        return URI.create(String.format(format, container.getHost(), container.getMappedPort(port)));
    }

    static boolean reachable(URI uri) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
