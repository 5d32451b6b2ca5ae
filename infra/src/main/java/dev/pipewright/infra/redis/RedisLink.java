package dev.pipewright.infra.redis;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One Lettuce connection, to a single Redis server or to a Redis Cluster, seen through the command
 * interfaces both share ({@link RedisClusterAsyncCommands}, {@link RedisClusterCommands}): the code
 * that uses Redis is the same for both. On a cluster a command goes to the master of its first key's
 * slot (every Pipewright script call passes its keys, all of one slot), {@code DEL}, {@code EXISTS}
 * and the like of keys in several slots are split by slot, and {@code SCAN} walks every master when
 * the cursor it returned is passed back. A keyless command ({@code PING}, {@code TIME}) goes to any
 * one node. What must reach every master ({@code FUNCTION LOAD}) goes through {@link #onEveryMaster}.
 *
 * <p>A blocking command ({@code XREADGROUP ... BLOCK}) holds the connection it is sent on, so it gets
 * a link of its own, as on a single server: a cluster link keeps its own connection to each node.
 */
public interface RedisLink<K, V> extends AutoCloseable {
    RedisClusterAsyncCommands<K, V> async();

    RedisClusterCommands<K, V> sync();

    /** Whether it is connected (a cluster link: to the node that takes its keyless commands). */
    boolean isOpen();

    /** Whether this is a link to a Redis Cluster. */
    boolean cluster();

    /**
     * Runs {@code command} on every master this link knows of (the one server, or each master in the
     * cluster's topology as the client last read it), answering once all have answered; it fails
     * when any of them fails.
     */
    <T> CompletableFuture<List<T>> onEveryMaster(Function<RedisClusterAsyncCommands<K, V>, ? extends CompletionStage<T>> command);

    @Override
    void close();

    static <K, V> RedisLink<K, V> of(StatefulRedisConnection<K, V> connection) {
        return new Single<>(connection);
    }

    static <K, V> RedisLink<K, V> of(StatefulRedisClusterConnection<K, V> connection) {
        return new Clustered<>(connection);
    }

    /** A connection to one Redis server. */
    final class Single<K, V> implements RedisLink<K, V> {
        private final StatefulRedisConnection<K, V> connection;

        private Single(StatefulRedisConnection<K, V> connection) {
            this.connection = connection;
        }

        @Override
        public RedisClusterAsyncCommands<K, V> async() {
            return connection.async();
        }

        @Override
        public RedisClusterCommands<K, V> sync() {
            return connection.sync();
        }

        @Override
        public boolean isOpen() {
            return connection.isOpen();
        }

        @Override
        public boolean cluster() {
            return false;
        }

        @Override
        public <T> CompletableFuture<List<T>> onEveryMaster(Function<RedisClusterAsyncCommands<K, V>, ? extends CompletionStage<T>> command) {
            return command.apply(connection.async()).toCompletableFuture().thenApply(List::of);
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    /** A connection to a Redis Cluster (Lettuce's advanced cluster API behind the shared interfaces). */
    final class Clustered<K, V> implements RedisLink<K, V> {
        private final StatefulRedisClusterConnection<K, V> connection;

        private Clustered(StatefulRedisClusterConnection<K, V> connection) {
            this.connection = connection;
        }

        @Override
        public RedisClusterAsyncCommands<K, V> async() {
            return connection.async();
        }

        @Override
        public RedisClusterCommands<K, V> sync() {
            return connection.sync();
        }

        @Override
        public boolean isOpen() {
            return connection.isOpen();
        }

        @Override
        public boolean cluster() {
            return true;
        }

        @Override
        public <T> CompletableFuture<List<T>> onEveryMaster(Function<RedisClusterAsyncCommands<K, V>, ? extends CompletionStage<T>> command) {
            List<CompletableFuture<T>> each = new ArrayList<>();
            for (RedisClusterNode node : connection.getPartitions()) {
                if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                    // by address, as the client's own connection for the master's slots is kept (not by node id)
                    each.add(connection.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort())
                            .thenCompose(c -> command.apply(c.async())));
                }
            }
            if (each.isEmpty()) {
                return CompletableFuture.failedFuture(new IllegalStateException("the Redis Cluster's topology names no master"));
            }
            return CompletableFuture.allOf(each.toArray(new CompletableFuture[0]))
                    .thenApply(done -> each.stream().map(CompletableFuture::join).toList());
        }

        @Override
        public void close() {
            connection.close();
        }
    }
}
