package dev.pipewright.infra.redis;

import dev.pipewright.infra.config.RedisNodes;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.MicrometerCommandLatencyRecorder;
import io.lettuce.core.metrics.MicrometerOptions;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Lettuce client set up for state transitions: commands are rejected while disconnected (a
 * replayed script could double an effect) and the request queue is bounded. One server gets
 * Lettuce's {@link RedisClient}, a Redis Cluster its {@link RedisClusterClient} with the same
 * settings; either way the connections are {@link RedisLink}s.
 */
public final class RedisConnector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisConnector.class);
    /** Commands a connection queues at most (waiting to be written or answered); past it a command fails at once. */
    static final int REQUEST_QUEUE_SIZE = 100_000;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /**
     * A cluster client reads the topology again this often whatever happens: the backstop for
     * changes no command notices (a master added, a replica moved).
     */
    static final Duration TOPOLOGY_REFRESH_PERIOD = Duration.ofSeconds(10);
    /**
     * At most one refresh per this long on the client's own cues (a MOVED answer, a node it cannot
     * reconnect to): short, because after a master dies the first cue comes before the cluster has
     * promoted its replica, and commands for that master's slots fail until the next refresh.
     */
    static final Duration ADAPTIVE_REFRESH_LIMIT = Duration.ofSeconds(2);

    private final AbstractRedisClient client;
    private final RedisClient single;
    private final RedisClusterClient cluster;
    /** Given to the client, so not shut down by it: {@link #close()} does. */
    private final ClientResources resources;

    /** One Redis server. */
    public RedisConnector(URI uri) {
        this(RedisNodes.of(uri), null);
    }

    /** One Redis server, its command latencies recorded (see {@link #RedisConnector(RedisNodes, MeterRegistry)}). */
    public RedisConnector(URI uri, MeterRegistry meters) {
        this(RedisNodes.of(uri), meters);
    }

    /** With a registry, command latencies are recorded as Lettuce's {@code lettuce.command.*} meters. */
    public RedisConnector(RedisNodes nodes, MeterRegistry meters) {
        ClientResources.Builder builder = ClientResources.builder();
        if (meters != null) {
            builder.commandLatencyRecorder(new MicrometerCommandLatencyRecorder(meters, MicrometerOptions.create()));
        }
        this.resources = builder.build();
        SocketOptions socket = SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).keepAlive(true).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(COMMAND_TIMEOUT);
        if (nodes.cluster()) {
            List<RedisURI> seeds = nodes.nodeUris().stream().map(u -> RedisURI.create(u.toString())).toList();
            this.cluster = RedisClusterClient.create(resources, seeds);
            this.single = null;
            this.client = cluster;
            cluster.setOptions(ClusterClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .requestQueueSize(REQUEST_QUEUE_SIZE)
                    .autoReconnect(true)
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(TOPOLOGY_REFRESH_PERIOD)
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(ADAPTIVE_REFRESH_LIMIT)
                            .build())
                    // a node the cluster marks failed (a dead master before its replica took over, a
                    // node still joining or without address) is left out of the topology: no connection, scan or
                    // FUNCTION LOAD waits on it
                    .nodeFilter(node -> !(node.is(RedisClusterNode.NodeFlag.FAIL) || node.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)
                            || node.is(RedisClusterNode.NodeFlag.HANDSHAKE) || node.is(RedisClusterNode.NodeFlag.NOADDR)))
                    // a redirection is followed only to a node of the topology the client read from the
                    // cluster itself (the adaptive refresh reads it again when a redirection names a
                    // node it does not know yet), never to whatever address an answer names
                    .validateClusterNodeMembership(true)
                    .build());
        } else {
            this.single = RedisClient.create(resources, RedisURI.create(nodes.uri().toString()));
            this.cluster = null;
            this.client = single;
            single.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .requestQueueSize(REQUEST_QUEUE_SIZE)
                    .autoReconnect(true)
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .build());
        }
    }

    /** Whether the connections go to a Redis Cluster. */
    public boolean cluster() {
        return cluster != null;
    }

    public RedisLink<String, String> connectStrings() {
        return connect(StringCodec.UTF8);
    }

    public RedisLink<byte[], byte[]> connectBytes() {
        return connect(ByteArrayCodec.INSTANCE);
    }

    private <K, V> RedisLink<K, V> connect(RedisCodec<K, V> codec) {
        if (cluster == null) {
            return RedisLink.of(single.connect(codec));
        }
        StatefulRedisClusterConnection<K, V> connection = cluster.connect(codec);
        connectToMasters(connection);
        return RedisLink.of(connection);
    }

    /**
     * Opens the cluster connection's connection to every master now. Lettuce opens one at the first
     * command for a master's slots, and with commands rejected while disconnected, that command (and
     * any sent before the connection is up) fails. Best effort: a master out of reach now gets its
     * connection at its first command, as one promoted later does.
     */
    private static void connectToMasters(StatefulRedisClusterConnection<?, ?> connection) {
        List<CompletableFuture<?>> each = new ArrayList<>();
        for (RedisClusterNode node : connection.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                each.add(connection.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
            }
        }
        try {
            CompletableFuture.allOf(each.toArray(new CompletableFuture[0])).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("not every Redis Cluster master could be reached at once ({}); its connection is opened at its first command",
                    e.toString());
        }
    }

    @Override
    public void close() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
