package dev.pipewright.infra.config;

import dev.pipewright.protocol.keys.Keys;

import java.net.URI;

/**
 * Settings every Pipewright process shares: where RabbitMQ (one node or a cluster's nodes) and
 * Redis are, the namespace that prefixes every key, exchange and queue, the shard count, the kind
 * of pool queues and, for quorum queues, how many replicas each has.
 */
public record CommonConfig(RabbitNodes rabbit, URI redisUri, String namespace, int shards, QueueType queueType,
                           int quorumSize, java.time.Duration connectPatience) {
    public static final String DEFAULT_RABBITMQ_URI = "amqp://guest:guest@127.0.0.1:5672";
    public static final String DEFAULT_REDIS_URI = "redis://127.0.0.1:6379";
    public static final String DEFAULT_NAMESPACE = "pw";
    public static final int DEFAULT_SHARDS = 4;
    /**
     * Replicas of each quorum queue ({@code x-quorum-initial-group-size}): 3 survives the loss of
     * one node; RabbitMQ caps it at the cluster's size, so a single node gets 1.
     */
    public static final int DEFAULT_QUORUM_SIZE = 3;

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
        if (queueType == QueueType.CLASSIC && !s.string("PW_QUORUM_SIZE", "").isBlank()) {
            throw new ConfigException("PW_QUORUM_SIZE is the replication of quorum queues, but PW_QUEUE_TYPE=classic: "
                    + "unset one of them (a classic queue has no replicas)");
        }
        return new CommonConfig(
                rabbitNodes(s.string("PW_RABBITMQ_URI", DEFAULT_RABBITMQ_URI)),
                s.uri("PW_REDIS_URI", DEFAULT_REDIS_URI, "redis", "rediss"),
                ns,
                s.integer("PW_SHARDS", DEFAULT_SHARDS, 1, 1024),
                queueType,
                s.integer("PW_QUORUM_SIZE", DEFAULT_QUORUM_SIZE, 1, 99),
                s.duration("PW_CONNECT_TIMEOUT", java.time.Duration.ofSeconds(30)));
    }

    private static RabbitNodes rabbitNodes(String value) {
        try {
            return RabbitNodes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("PW_RABBITMQ_URI is not valid: " + e.getMessage() + "; expected a URI such as "
                    + DEFAULT_RABBITMQ_URI + ", or for a cluster amqp://user:pass@host1:5672,host2:5672,host3:5672/vhost");
        }
    }

    /** The first RabbitMQ node's URI (credentials, vhost, TLS); {@link #rabbit()} has every node. */
    public URI rabbitUri() {
        return rabbit.uri();
    }

    public Keys keys() {
        return new Keys(namespace, shards);
    }
}
