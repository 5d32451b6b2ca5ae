package dev.pipewright.overseer.dispatch;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Moves one shard's outbox to RabbitMQ: reads entries with a consumer group, publishes each task
 * message to its pool (persistent, mandatory, publisher confirms) and acknowledges the entries only
 * once RabbitMQ has confirmed them. A crash or a broker outage anywhere in between leaves the
 * entries pending, and they are published again (a duplicate is dropped by the worker's claim).
 */
public final class OutboxRelay implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
    public static final String GROUP = "relay";
    private static final int BATCH = 1000;
    private static final Duration CLAIM_IDLE = Duration.ofSeconds(15);

    private final Keys keys;
    private final int shard;
    private final String consumer;
    private final StatefulRedisConnection<String, String> connection;
    private final Connection rabbit;
    private final Topology topology;
    private final OverseerMetrics metrics;
    private final Set<String> declaredPools = ConcurrentHashMap.newKeySet();
    private final Set<String> returned = ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;
    private Channel channel;

    public OutboxRelay(Keys keys, int shard, String consumer, StatefulRedisConnection<String, String> connection,
                       Connection rabbit, Topology topology, OverseerMetrics metrics) {
        this.keys = keys;
        this.shard = shard;
        this.consumer = consumer;
        this.connection = connection;
        this.rabbit = rabbit;
        this.topology = topology;
        this.metrics = metrics;
    }

    public void stop() {
        running = false;
    }

    @Override
    public void run() {
        RedisCommands<String, String> redis = connection.sync();
        String stream = keys.outbox(shard);
        boolean pending = true;
        long lastClaim = 0;
        while (running) {
            try {
                if (channel == null || !channel.isOpen()) {
                    openChannel();
                }
                StreamGroups.ensure(redis, stream, GROUP);
                if (System.currentTimeMillis() - lastClaim > 10_000) {
                    lastClaim = System.currentTimeMillis();
                    var claimed = redis.xautoclaim(stream, XAutoClaimArgs.Builder.xautoclaim(Consumer.from(GROUP, consumer),
                            CLAIM_IDLE, "0-0").count(BATCH));
                    if (claimed != null && !claimed.getMessages().isEmpty()) {
                        LOG.info("shard {}: took over {} outbox entries from a stopped relay", shard, claimed.getMessages().size());
                        pending = true;
                    }
                }
                List<StreamMessage<String, String>> batch = pending
                        ? redis.xreadgroup(Consumer.from(GROUP, consumer), XReadArgs.Builder.count(BATCH), XReadArgs.StreamOffset.from(stream, "0"))
                        : redis.xreadgroup(Consumer.from(GROUP, consumer), XReadArgs.Builder.count(BATCH).block(1000), XReadArgs.StreamOffset.lastConsumed(stream));
                if (batch.isEmpty()) {
                    pending = false;
                    continue;
                }
                pending = publish(redis, stream, batch) || pending && batch.size() == BATCH;
            } catch (Exception e) {
                if (!running) {
                    break;
                }
                LOG.warn("shard {}: outbox relay error ({}); retrying", shard, e.toString());
                pending = true;
                sleep(1000);
            }
        }
    }

    /** Publishes a batch and acks what RabbitMQ confirmed; returns true when some entries must be retried. */
    private boolean publish(RedisCommands<String, String> redis, String stream, List<StreamMessage<String, String>> batch) throws Exception {
        returned.clear();
        List<String> ids = new ArrayList<>(batch.size());
        for (StreamMessage<String, String> entry : batch) {
            String pool = entry.getBody().get("p");
            String body = entry.getBody().get("m");
            if (pool == null || body == null) {
                LOG.error("shard {}: dropping malformed outbox entry {}", shard, entry.getId());
                ids.add(entry.getId());
                continue;
            }
            if (declaredPools.add(pool)) {
                topology.declarePool(channel, pool);
            }
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).contentType("application/json").messageId(entry.getId()).build();
            channel.basicPublish(keys.taskExchange(), pool, true, props, body.getBytes(StandardCharsets.UTF_8));
            ids.add(entry.getId());
        }
        channel.waitForConfirmsOrDie(30_000);
        boolean retry = false;
        if (!returned.isEmpty()) {
            LOG.warn("shard {}: {} messages were unroutable; re-declaring their queues and publishing again", shard, returned.size());
            ids.removeAll(returned);
            declaredPools.clear();
            retry = true;
        }
        if (!ids.isEmpty()) {
            String[] arr = ids.toArray(new String[0]);
            redis.xack(stream, GROUP, arr);
            redis.xdel(stream, arr);
            metrics.dispatched(arr.length);
        }
        return retry;
    }

    private void openChannel() throws Exception {
        channel = rabbit.createChannel();
        channel.confirmSelect();
        channel.addReturnListener(r -> returned.add(r.getProperties().getMessageId()));
        topology.declareShared(channel);
        declaredPools.clear();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
