package dev.pipewright.overseer.admin;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.pipeline.Priority;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Per pool: ready messages and consumers (RabbitMQ, passive declare; the management plugin is not
 * assumed), deliveries received but not settled and attempts running (summed over the live
 * workers' heartbeats), and the oldest dispatched-but-unclaimed task's age (Redis, per shard).
 */
public final class QueueInspector {
    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Connection rabbit;
    private final Workers workers;
    private final PoolAdmin pools;
    private Channel channel;

    public QueueInspector(Keys keys, RedisClusterAsyncCommands<String, String> redis, Connection rabbit, Workers workers, PoolAdmin pools) {
        this.keys = keys;
        this.redis = redis;
        this.rabbit = rabbit;
        this.workers = workers;
        this.pools = pools;
    }

    /** How many workers are alive (each once, whatever pools it serves). */
    public int liveWorkers() throws Exception {
        return workers.alive().size();
    }

    public List<QueueView> queues() throws Exception {
        List<WorkerView> alive = workers.alive();
        Map<String, Long> paused = pools.paused();
        long now = redisNowMs();
        List<QueueView> out = new ArrayList<>();
        for (String pool : pools.known(alive)) {
            AMQP.Queue.DeclareOk ok = passive(keys.poolQueue(pool));
            Map<String, Integer> byPriority = new LinkedHashMap<>();
            int ready = 0;
            for (Priority p : List.of(Priority.HIGH, Priority.MEDIUM, Priority.LOW)) {
                AMQP.Queue.DeclareOk level = p == Priority.MEDIUM ? ok : passive(keys.poolQueue(p.routingKey(pool)));
                int n = level == null ? 0 : level.getMessageCount();
                byPriority.put(p.wireName(), n);
                ready += n;
            }
            int unacked = 0;
            int inFlight = 0;
            int serving = 0;
            for (WorkerView w : alive) {
                if (w.pools().contains(pool)) {
                    serving++;
                    unacked += w.unacked(pool);
                    inFlight += w.inFlight(pool);
                }
            }
            Oldest oldest = oldest(pool);
            out.add(new QueueView(pool, keys.poolQueue(pool), ok != null, ready, byPriority, ok == null ? 0 : ok.getConsumerCount(),
                    unacked, inFlight, serving, oldest.count(),
                    oldest.dispatchedAt() == null ? null : Math.max(0, now - oldest.dispatchedAt()), paused.containsKey(pool)));
        }
        return out;
    }

    private record Oldest(long count, Long dispatchedAt) {
    }

    private Oldest oldest(String pool) throws Exception {
        List<CompletableFuture<List<ScoredValue<String>>>> firsts = new ArrayList<>();
        List<CompletableFuture<Long>> counts = new ArrayList<>();
        for (int shard = 0; shard < keys.shards(); shard++) {
            firsts.add(redis.zrangeWithScores(keys.queued(shard, pool), 0, 0).toCompletableFuture());
            counts.add(redis.zcard(keys.queued(shard, pool)).toCompletableFuture());
        }
        Long min = null;
        long count = 0;
        for (int shard = 0; shard < keys.shards(); shard++) {
            for (ScoredValue<String> v : firsts.get(shard).get(10, TimeUnit.SECONDS)) {
                long score = (long) v.getScore();
                min = min == null ? score : Math.min(min, score);
            }
            count += counts.get(shard).get(10, TimeUnit.SECONDS);
        }
        return new Oldest(count, min);
    }

    /** Dispatch times are Redis's clock; ages are measured on it too. */
    private long redisNowMs() throws Exception {
        List<String> t = redis.time().get(10, TimeUnit.SECONDS);
        return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
    }

    /** The queue's counts by a passive declare; null when it does not exist (or RabbitMQ cannot be asked). */
    synchronized AMQP.Queue.DeclareOk passive(String queue) {
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
}
