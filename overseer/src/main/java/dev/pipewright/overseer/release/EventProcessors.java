package dev.pipewright.overseer.release;

import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.overseer.shards.ShardLeases;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One event processor per shard this overseer serves, each on a virtual thread with a Redis
 * connection of its own (its blocking stream read must not hold up the others' calls); started
 * when a shard's lease is taken, stopped and waited for before it is given up.
 */
public final class EventProcessors implements ShardLeases.Serving {
    private static final Logger LOG = LoggerFactory.getLogger(EventProcessors.class);

    private record Running(EventProcessor processor, Thread thread, RedisLink<String, String> connection) {
    }

    private final Supplier<RedisLink<String, String>> connections;
    private final Factory factory;
    private final Map<Integer, Running> running = new ConcurrentHashMap<>();
    private final ServedListener listener;
    /** Builds the processor of a shard on its own connection. */
    public interface Factory {
        EventProcessor create(ShardLease lease, RedisLink<String, String> connection);
    }

    /** {@code served} hears of each shard started (true) and stopped (false), for the metrics. */
    public EventProcessors(Supplier<RedisLink<String, String>> connections, Factory factory, ServedListener served) {
        this.connections = connections;
        this.factory = factory;
        this.listener = served;
    }

    /** Hears which shards this overseer serves. */
    public interface ServedListener {
        void served(int shard, boolean on);
    }

    @Override
    public void start(ShardLease lease) {
        RedisLink<String, String> connection = connections.get();
        EventProcessor processor = factory.create(lease, connection);
        Thread thread = Thread.ofVirtual().name("events-" + lease.shard()).start(processor);
        Running previous = running.put(lease.shard(), new Running(processor, thread, connection));
        if (previous != null) {
            halt(lease.shard(), previous);
        }
        listener.served(lease.shard(), true);
    }

    @Override
    public void stop(int shard) {
        Running r = running.remove(shard);
        if (r != null) {
            halt(shard, r);
        }
        listener.served(shard, false);
    }

    private static void halt(int shard, Running r) {
        r.processor().stop();
        try {
            // a stream read blocks for at most a second; a release call in flight is fenced if it outlives the lease
            if (!r.thread().join(java.time.Duration.ofSeconds(35))) {
                LOG.warn("shard {}: its event processor did not stop in time", shard);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        r.connection().close();
    }
}
