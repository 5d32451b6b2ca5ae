package dev.pipewright.overseer.deadletter;

import dev.pipewright.infra.log.LogSafe;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.TaskMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;


/**
 * Takes messages off the dead-letter queue: a task message that workers could not handle
 * (unreadable, or redelivered past the queue's delivery limit) fails its task with the reason,
 * if it is still the task's current dispatch, so the job ends instead of hanging. Each message is
 * kept, with an id, its reason and its task's processor and pool, in {@code <ns>:deadletters}
 * (newest first, capped) for inspection, replay and purge ({@code overseer.admin.DeadLetters}).
 */
public final class DeadLetterConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final int KEPT = 10_000;
    private static final java.security.SecureRandom ID_RANDOM = new java.security.SecureRandom();

    private final Keys keys;
    private final StateGateway state;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Topology topology;
    private final OverseerMetrics metrics;

    public DeadLetterConsumer(Keys keys, StateGateway state, RedisClusterAsyncCommands<String, String> redis, Topology topology,
                              OverseerMetrics metrics) {
        this.metrics = metrics;
        this.keys = keys;
        this.state = state;
        this.redis = redis;
        this.topology = topology;
    }

    public void start(Connection rabbit) throws Exception {
        Channel channel = rabbit.createChannel();
        topology.declareShared(channel);
        channel.basicQos(50);
        channel.basicConsume(keys.deadLetterQueue(), false, "overseer-dlq", new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                try {
                    handle(props, body);
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                } catch (Exception e) {
                    LOG.warn("cannot handle a dead letter now ({}); it stays on the queue", e.toString());
                    try {
                        Thread.sleep(1000);
                        getChannel().basicNack(envelope.getDeliveryTag(), false, true);
                    } catch (Exception ignored) {
                        // the channel recovers and redelivers
                    }
                }
            }
        });
    }

    void handle(AMQP.BasicProperties props, byte[] body) throws Exception {
        String reason = reason(props);
        // the task's pool, else the pool of the queue it was dead-lettered from: bounded by the pools there are
        String pool = keys.poolOfQueue(deathQueue(props));
        ObjectNode record = JSON.createObjectNode();
        long at = System.currentTimeMillis();
        record.put("id", Long.toString(at, 36) + "-" + Long.toString(ID_RANDOM.nextLong() & 0xffffffffL, 36));
        record.put("at", at);
        record.put("reason", reason);
        record.put("reason_code", reasonCode(props));
        TaskMessage task = null;
        try {
            if (JSON.readValue(body, BusMessage.class) instanceof TaskMessage tm && JobId.isValid(tm.job()) && tm.node() != null) {
                task = tm;
            }
        } catch (Exception ignored) {
            // unreadable: kept as it is
        }
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\t')) {
            record.put("body", text);
        } else {
            record.put("body_base64", Base64.getEncoder().encodeToString(body));
        }
        if (task != null) {
            JobId job = new JobId(task.job());
            record.put("job", task.job());
            record.put("node", task.node());
            record.put("dispatch", task.dispatch());
            List<String> t = redis.hmget(keys.task(job, task.node()), "processor", "pool").get(10, TimeUnit.SECONDS).stream()
                    .map(kv -> kv.getValueOrElse(null)).toList();
            if (t.get(0) != null) {
                record.put("processor", t.get(0));
            }
            if (t.get(1) != null) {
                record.put("pool", t.get(1));
                pool = t.get(1);
            }
            StateGateway.Poisoned result = state.poison(job, task.node(), task.dispatch(), "task message dead-lettered: " + reason);
            record.put("task", result.name().toLowerCase(java.util.Locale.ROOT));
            if (result == StateGateway.Poisoned.FAILED) {
                metrics.taskEnded(pool == null ? "unknown" : pool, "FAILED", "dead_letter", 1);
            }
            LOG.warn("dead letter for {}/{} ({}): task {}", LogSafe.text(task.job()), LogSafe.text(task.node()), LogSafe.text(reason), result);
        } else {
            LOG.warn("dead letter that is no task message ({})", LogSafe.text(reason));
        }
        redis.lpush(keys.deadLetters(), JSON.writeValueAsString(record)).get(10, TimeUnit.SECONDS);
        redis.ltrim(keys.deadLetters(), 0, KEPT - 1).get(10, TimeUnit.SECONDS);
        metrics.deadLettered(pool == null ? "unknown" : pool);
    }

    /**
     * The queue the message was dead-lettered from: RabbitMQ's first x-death entry, else the header a
     * worker sets when it dead-letters a message itself (past a classic queue's delivery limit), or null.
     */
    static String deathQueue(AMQP.BasicProperties props) {
        Map<String, Object> headers = props == null ? null : props.getHeaders();
        Object deaths = headers == null ? null : headers.get("x-death");
        if (deaths instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Map<?, ?> first && first.get("queue") != null) {
            return String.valueOf(first.get("queue"));
        }
        Object own = headers == null ? null : headers.get(Topology.DEATH_QUEUE_HEADER);
        return own == null ? null : String.valueOf(own);
    }

    /** RabbitMQ's dead-letter reason: rejected, delivery_limit, expired, maxlen (or a worker's own); else "unknown". */
    static String reasonCode(AMQP.BasicProperties props) {
        Map<String, Object> headers = props == null ? null : props.getHeaders();
        if (headers != null && headers.get(Topology.DEATH_HEADER) != null) {
            return String.valueOf(headers.get(Topology.DEATH_HEADER));
        }
        Object deaths = headers == null ? null : headers.get("x-death");
        if (deaths instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Map<?, ?> first) {
            return String.valueOf(first.get("reason"));
        }
        return "unknown";
    }

    @SuppressWarnings("unchecked")
    static String reason(AMQP.BasicProperties props) {
        Map<String, Object> headers = props == null ? null : props.getHeaders();
        if (headers != null && headers.get(Topology.DEATH_HEADER) != null) {
            // dead-lettered by a worker: a classic queue has no delivery limit of its own
            return text(String.valueOf(headers.get(Topology.DEATH_HEADER)))
                    + " [queue " + headers.get(Topology.DEATH_QUEUE_HEADER) + ", count " + headers.get(Topology.DEATH_COUNT_HEADER) + "]";
        }
        Object deaths = headers == null ? null : headers.get("x-death");
        if (deaths instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Map<?, ?> first) {
            Map<String, Object> d = (Map<String, Object>) first;
            return text(String.valueOf(d.get("reason"))) + " [queue " + d.get("queue") + ", count " + d.get("count") + "]";
        }
        return "dead-lettered";
    }

    private static String text(String why) {
        return switch (why) {
            case "rejected" -> "rejected by a worker (unreadable)";
            case "delivery_limit" -> "redelivered more than the queue's delivery limit (workers crashed or failed before claiming it)";
            case "expired" -> "expired in the queue";
            default -> why;
        };
    }
}
