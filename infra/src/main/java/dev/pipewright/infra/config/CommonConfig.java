package dev.pipewright.infra.config;

import dev.pipewright.protocol.keys.Keys;

import java.net.URI;

/**
 * Settings every Pipewright process shares: where RabbitMQ and Redis are, the namespace that
 * prefixes every key, exchange and queue, the shard count and the kind of pool queues.
 */
public record CommonConfig(URI rabbitUri, URI redisUri, String namespace, int shards, QueueType queueType,
                           java.time.Duration connectPatience) {
    public static final String DEFAULT_RABBITMQ_URI = "amqp://guest:guest@127.0.0.1:5672";
    public static final String DEFAULT_REDIS_URI = "redis://127.0.0.1:6379";
    public static final String DEFAULT_NAMESPACE = "pw";
    public static final int DEFAULT_SHARDS = 4;

    /** RabbitMQ queue kind for pool queues: quorum (replicated, delivery limit) or classic durable. */
    public enum QueueType { QUORUM, CLASSIC }

    public static CommonConfig from(Settings s) {
        String ns = s.string("PW_NAMESPACE", DEFAULT_NAMESPACE);
        if (!ns.matches("[A-Za-z0-9_.-]{1,40}")) {
            throw new ConfigException("PW_NAMESPACE='" + ns + "' is not valid: use 1-40 letters, digits, '_', '.', '-'");
        }
        String qt = s.string("PW_QUEUE_TYPE", "quorum");
        QueueType queueType = switch (qt) {
            case "quorum" -> QueueType.QUORUM;
            case "classic" -> QueueType.CLASSIC;
            default -> throw new ConfigException("PW_QUEUE_TYPE='" + qt + "' is not valid: expected quorum or classic");
        };
        return new CommonConfig(
                s.uri("PW_RABBITMQ_URI", DEFAULT_RABBITMQ_URI, "amqp", "amqps"),
                s.uri("PW_REDIS_URI", DEFAULT_REDIS_URI, "redis", "rediss"),
                ns,
                s.integer("PW_SHARDS", DEFAULT_SHARDS, 1, 1024),
                queueType,
                s.duration("PW_CONNECT_TIMEOUT", java.time.Duration.ofSeconds(30)));
    }

    public Keys keys() {
        return new Keys(namespace, shards);
    }
}
