package dev.pipewright.infra.config;

import dev.pipewright.infra.objectstore.ObjectStoreConfig;
import dev.pipewright.protocol.keys.Keys;

import java.net.URI;

/**
 * Settings every Pipewright process shares: where RabbitMQ (one node or a cluster's nodes) and
 * Redis (one server or a Redis Cluster's seed nodes) are, the namespace that prefixes every key, exchange and queue, the shard count, the kind
 * of pool queues and, for quorum queues, how many replicas each has.
 */
public record CommonConfig(RabbitNodes rabbit, RedisNodes redis, String namespace, int shards, QueueType queueType,
                           int quorumSize, java.time.Duration connectPatience,
                           ObjectStoreConfig objects) {
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
                redisNodes(s.string("PW_REDIS_URI", DEFAULT_REDIS_URI), s.string("PW_REDIS_CLUSTER", "auto")),
                ns,
                s.integer("PW_SHARDS", DEFAULT_SHARDS, 1, 1024),
                queueType,
                s.integer("PW_QUORUM_SIZE", DEFAULT_QUORUM_SIZE, 1, 99),
                s.duration("PW_CONNECT_TIMEOUT", java.time.Duration.ofSeconds(30)),
                ObjectStoreConfig.from(s));
    }

    private static RabbitNodes rabbitNodes(String value) {
        try {
            return RabbitNodes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("PW_RABBITMQ_URI is not valid: " + e.getMessage() + "; expected a URI such as "
                    + DEFAULT_RABBITMQ_URI + ", or for a cluster amqp://user:pass@host1:5672,host2:5672,host3:5672/vhost");
        }
    }

    private static RedisNodes redisNodes(String value, String clusterSetting) {
        RedisNodes.Mode mode;
        try {
            mode = RedisNodes.Mode.parse(clusterSetting);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("PW_REDIS_CLUSTER='" + clusterSetting + "' is not valid: expected auto (several nodes in "
                    + "PW_REDIS_URI are a Redis Cluster, one is a single server), on (a Redis Cluster, even with one seed node) or off");
        }
        try {
            return RedisNodes.parse(value, mode);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("PW_REDIS_URI is not valid: " + e.getMessage() + "; expected a URI such as "
                    + DEFAULT_REDIS_URI + ", or for a Redis Cluster its seed nodes redis://:pass@host1:6379,host2:6379,host3:6379");
        }
    }

    /** The first Redis node's URI (credentials, database, TLS); {@link #redis()} has every node and whether it is a cluster. */
    public URI redisUri() {
        return redis.uri();
    }

    /** The first RabbitMQ node's URI (credentials, vhost, TLS); {@link #rabbit()} has every node. */
    public URI rabbitUri() {
        return rabbit.uri();
    }

    public Keys keys() {
        return new Keys(namespace, shards);
    }
}
