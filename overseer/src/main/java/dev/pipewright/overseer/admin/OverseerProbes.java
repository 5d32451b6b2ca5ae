package dev.pipewright.overseer.admin;

import com.rabbitmq.client.AMQP;
import dev.pipewright.overseer.loop.PeriodicLoop;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Readings taken every few seconds for the gauges: per pool the queue's ready messages and
 * consumers, deliveries unacked and attempts in flight (worker heartbeats), the oldest unclaimed
 * task's age, live workers and whether the pool is paused (all from the admin queue listing); dead
 * letters kept; and per shard the outbox and event-stream backlog.
 */
public final class OverseerProbes extends PeriodicLoop {
    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final QueueInspector queues;
    private final OverseerMetrics metrics;

    public OverseerProbes(Keys keys, RedisClusterAsyncCommands<String, String> redis, QueueInspector queues,
                          OverseerMetrics metrics, Duration interval) {
        super(interval);
        this.keys = keys;
        this.redis = redis;
        this.queues = queues;
        this.metrics = metrics;
    }

    @Override
    protected void round() throws Exception {
        for (QueueView q : queues.queues()) {
            String pool = q.pool();
            metrics.registerPool(pool);
            metrics.gauge("pipewright.workers.alive", "pool", pool, q.workers());
            metrics.gauge("pipewright.pool.paused", "pool", pool, q.paused() ? 1 : 0);
            metrics.gauge("pipewright.queue.unacked", "pool", pool, q.unacked());
            metrics.gauge("pipewright.queue.oldest.age.seconds", "pool", pool, (q.oldestAgeMs() == null ? 0 : q.oldestAgeMs()) / 1000);
            if (q.exists()) {
                metrics.gauge("pipewright.queue.depth", "pool", pool, q.ready());
                metrics.gauge("pipewright.queue.consumers", "pool", pool, q.consumers());
            }
        }
        // per pool a worker serving two pools counts in both: this one counts each worker once
        metrics.gauge("pipewright.workers.live", queues.liveWorkers());
        AMQP.Queue.DeclareOk dlq = queues.passive(keys.deadLetterQueue());
        long kept = redis.llen(keys.deadLetters()).get(5, TimeUnit.SECONDS);
        metrics.gauge("pipewright.dlq.size", kept + (dlq == null ? 0 : dlq.getMessageCount()));
        for (int shard = 0; shard < keys.shards(); shard++) {
            String s = Integer.toString(shard);
            metrics.gauge("pipewright.outbox.lag", "shard", s, redis.xlen(keys.outbox(shard)).get(5, TimeUnit.SECONDS));
            metrics.gauge("pipewright.events.lag", "shard", s, redis.xlen(keys.events(shard)).get(5, TimeUnit.SECONDS));
        }
    }
}
