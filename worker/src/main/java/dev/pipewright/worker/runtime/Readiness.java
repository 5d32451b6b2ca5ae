package dev.pipewright.worker.runtime;

import com.rabbitmq.client.Connection;
import dev.pipewright.infra.redis.RedisLink;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the worker's {@code /ready} answers: ready only while Redis answers PING, the RabbitMQ
 * connection is open and the pool consumers run (not before start-up connected them, not while a
 * connection recovers, not once shutdown began). The parts are set as start-up reaches them.
 */
public final class Readiness {
    static final Duration PING_TIMEOUT = Duration.ofSeconds(2);

    private volatile RedisLink<byte[], byte[]> redis;
    private volatile Connection rabbit;
    private volatile TaskConsumer consumer;

    /** The answer: ready, and each check UP or DOWN (with why). */
    public record Report(boolean ready, Map<String, String> checks) {
        public String json() {
            StringBuilder out = new StringBuilder("{\"status\":\"").append(ready ? "UP" : "DOWN").append("\",\"checks\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : checks.entrySet()) {
                out.append(first ? "" : ",").append('"').append(e.getKey()).append("\":\"").append(e.getValue()).append('"');
                first = false;
            }
            return out.append("}}").toString();
        }
    }

    public void redis(RedisLink<byte[], byte[]> connection) {
        this.redis = connection;
    }

    public void rabbit(Connection connection) {
        this.rabbit = connection;
    }

    public void consumer(TaskConsumer consumer) {
        this.consumer = consumer;
    }

    public Report check() {
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("redis", redisCheck());
        Connection r = rabbit;
        checks.put("rabbitmq", r == null ? "DOWN: not connected yet" : r.isOpen() ? "UP" : "DOWN: connection closed (recovering)");
        TaskConsumer c = consumer;
        checks.put("consumers", c == null ? "DOWN: not started yet" : c.consuming() ? "UP" : "DOWN: stopping or a channel is closed");
        return new Report(checks.values().stream().allMatch("UP"::equals), checks);
    }

    private String redisCheck() {
        RedisLink<byte[], byte[]> c = redis;
        if (c == null) {
            return "DOWN: not connected yet";
        }
        if (!c.isOpen()) {
            return "DOWN: disconnected (reconnecting)";
        }
        try {
            String pong = c.async().ping().get(PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return "PONG".equals(pong) ? "UP" : "DOWN: PING answered " + pong;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "DOWN: interrupted";
        } catch (Exception e) {
            return "DOWN: PING failed (" + e.getClass().getSimpleName() + ")";
        }
    }
}
