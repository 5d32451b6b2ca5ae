package dev.pipewright.it.support;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A test's own access to the Redis it reads past any proxy: one server, or a Redis Cluster from its
 * seed nodes (commands routed by slot, {@code SCAN} over every master, {@code DEL} of many keys split
 * by slot). The cluster client refreshes its topology every second and on every cue, with a short
 * command timeout, so that it follows a failover quickly.
 */
public final class DirectRedis implements AutoCloseable {
    private final AbstractRedisClient client;
    private final RedisClient single;
    private final RedisClusterClient cluster;
    private final List<StatefulConnection<String, String>> connections = new ArrayList<>();
    private final RedisClusterCommands<String, String> commands;
    private final StatefulRedisClusterConnection<String, String> clusterConnection;

    private DirectRedis(RedisClient single, RedisClusterClient cluster) {
        this.single = single;
        this.cluster = cluster;
        this.client = single != null ? single : cluster;
        if (cluster != null) {
            clusterConnection = cluster.connect();
            connections.add(clusterConnection);
            commands = clusterConnection.sync();
        } else {
            clusterConnection = null;
            StatefulRedisConnection<String, String> c = single.connect();
            connections.add(c);
            commands = c.sync();
        }
    }

    public static DirectRedis single(URI uri) {
        return new DirectRedis(RedisClient.create(RedisURI.create(uri)), null);
    }

    public static DirectRedis cluster(List<URI> seeds) {
        RedisClusterClient client = RedisClusterClient.create(seeds.stream().map(RedisURI::create).toList());
        client.setOptions(ClusterClientOptions.builder()
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500)).enablePeriodicRefresh(Duration.ofSeconds(1)).build())
                // a failed master stays in the topology after its replica took over, without slots: a
                // cluster-wide SCAN would wait on it
                .nodeFilter(n -> !(n.is(RedisClusterNode.NodeFlag.FAIL) || n.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)
                        || n.is(RedisClusterNode.NodeFlag.NOADDR)))
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(5))).build());
        try {
            return new DirectRedis(null, client);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    public boolean isCluster() {
        return cluster != null;
    }

    public RedisClusterCommands<String, String> sync() {
        return commands;
    }

    /** The cluster connection (its topology, a node's own connection); null for a single server. */
    public StatefulRedisClusterConnection<String, String> clusterConnection() {
        return clusterConnection;
    }

    /** A connection of its own (for a thread beside the main one), closed with this. */
    public synchronized RedisClusterCommands<String, String> newConnection() {
        if (cluster != null) {
            StatefulRedisClusterConnection<String, String> c = cluster.connect();
            connections.add(c);
            return c.sync();
        }
        StatefulRedisConnection<String, String> c = single.connect();
        connections.add(c);
        return c.sync();
    }

    @Override
    public synchronized void close() {
        for (StatefulConnection<String, String> c : connections) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
        client.shutdown();
    }
}
