package dev.pipewright.overseer.metrics;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.overseer.workers.WorkerDirectory;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.api.async.RedisAsyncCommands;
import dev.pipewright.overseer.loop.PeriodicLoop;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Readings taken every few seconds for the gauges: queue depth and consumers per pool (passive
 * declare), dead letters kept, live workers per pool, and per shard the outbox and event-stream
 * backlog.
 */
public final class OverseerProbes extends PeriodicLoop {
    private final Keys keys;
    private final RedisAsyncCommands<String, String> redis;
    private final Connection rabbit;
    private final WorkerDirectory workers;
    private final OverseerMetrics metrics;
    private final Set<String> knownPools = new HashSet<>(Set.of("default"));
    private Channel channel;

    public OverseerProbes(Keys keys, RedisAsyncCommands<String, String> redis, Connection rabbit, WorkerDirectory workers,
                          OverseerMetrics metrics, Duration interval) {
        super(interval);
        this.keys = keys;
        this.redis = redis;
        this.rabbit = rabbit;
        this.workers = workers;
        this.metrics = metrics;
    }

    @Override
    protected void round() throws Exception {
        Map<String, Long> alive = new HashMap<>();
        for (Map<String, String> w : workers.alive()) {
            for (String pool : w.getOrDefault("pools", "").split(",")) {
                if (!pool.isBlank()) {
                    alive.merge(pool, 1L, Long::sum);
                    knownPools.add(pool);
                }
            }
        }
        for (String pool : knownPools) {
            metrics.gauge("pipewright.workers.alive", "pool", pool, alive.getOrDefault(pool, 0L));
            AMQP.Queue.DeclareOk q = passive(keys.poolQueue(pool));
            if (q != null) {
                long depth = 0;
                for (String queue : keys.poolQueues(pool)) {
                    AMQP.Queue.DeclareOk level = queue.equals(keys.poolQueue(pool)) ? q : passive(queue);
                    depth += level == null ? 0 : level.getMessageCount();
                }
                metrics.gauge("pipewright.queue.depth", "pool", pool, depth); // all three priority queues
                metrics.gauge("pipewright.queue.consumers", "pool", pool, q.getConsumerCount());
            }
        }
        AMQP.Queue.DeclareOk dlq = passive(keys.deadLetterQueue());
        long kept = redis.llen(keys.deadLetters()).get(5, TimeUnit.SECONDS);
        metrics.gauge("pipewright.dlq.size", kept + (dlq == null ? 0 : dlq.getMessageCount()));
        for (int shard = 0; shard < keys.shards(); shard++) {
            String s = Integer.toString(shard);
            metrics.gauge("pipewright.outbox.lag", "shard", s, redis.xlen(keys.outbox(shard)).get(5, TimeUnit.SECONDS));
            metrics.gauge("pipewright.events.lag", "shard", s, redis.xlen(keys.events(shard)).get(5, TimeUnit.SECONDS));
        }
    }

    private AMQP.Queue.DeclareOk passive(String queue) {
        try {
            if (channel == null || !channel.isOpen()) {
                channel = rabbit.createChannel();
            }
            return channel.queueDeclarePassive(queue);
        } catch (Exception e) {
            channel = null; // a passive declare of a missing queue closes the channel
            return null;
        }
    }

    public List<String> pools() {
        return List.copyOf(knownPools);
    }
}
