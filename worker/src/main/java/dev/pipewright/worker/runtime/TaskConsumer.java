package dev.pipewright.worker.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.protocol.pipeline.Backoff;
import dev.pipewright.protocol.pipeline.RetryPolicy;
import dev.pipewright.worker.config.WorkerConfig;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.ProcessorRegistry;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;
import dev.pipewright.worker.store.AttemptStore;
import dev.pipewright.worker.store.Claim;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes the pool queues and runs attempts: at most {@code concurrency} at once. For each
 * message: claim in Redis (a stale duplicate is acked and dropped), ack at once (so a long task
 * never trips RabbitMQ's consumer timeout), run the processor on a virtual thread, commit. A
 * message that cannot be parsed is rejected to the dead-letter queue.
 */
public final class TaskConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(TaskConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WorkerConfig config;
    private final ProcessorRegistry processors;
    private final AttemptStore store;
    private final Topology topology;
    private final WorkerMetrics metrics;
    private final Semaphore slots;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final AtomicLong attemptSeq = new AtomicLong();
    private final List<Channel> channels = new ArrayList<>();
    private final Map<Channel, String> consumerTags = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    private record Running(TaskMessage message, Thread thread) {
    }

    public TaskConsumer(WorkerConfig config, ProcessorRegistry processors, AttemptStore store, Topology topology,
                        WorkerMetrics metrics) {
        this.config = config;
        this.processors = processors;
        this.store = store;
        this.topology = topology;
        this.metrics = metrics;
        this.slots = new Semaphore(config.concurrency());
    }

    public void start(Connection connection) throws IOException {
        for (String pool : config.pools()) {
            Channel channel = connection.createChannel();
            topology.declareShared(channel);
            String queue = topology.declarePool(channel, pool);
            channel.basicQos(config.concurrency());
            String tag = channel.basicConsume(queue, false, config.workerId() + "/" + pool, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    onDelivery(pool, getChannel(), envelope.getDeliveryTag(), body);
                }
            });
            channels.add(channel);
            consumerTags.put(channel, tag);
        }
    }

    /** Attempts running now, by attempt id. */
    public Map<String, TaskMessage> runningAttempts() {
        Map<String, TaskMessage> out = new java.util.HashMap<>();
        running.forEach((id, r) -> out.put(id, r.message()));
        return out;
    }

    /** Interrupts an attempt that no longer holds its lease. */
    public void interrupt(String attemptId) {
        Running r = running.get(attemptId);
        if (r != null) {
            LOG.warn("attempt {} of {}/{} lost its lease; interrupting it", attemptId, r.message().job(), r.message().node());
            r.thread().interrupt();
        }
    }

    private void onDelivery(String pool, Channel channel, long deliveryTag, byte[] body) {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        executor.execute(() -> {
            try {
                handle(pool, channel, deliveryTag, body);
            } catch (Throwable t) {
                LOG.error("unexpected error handling a message from pool {}", pool, t);
            } finally {
                slots.release();
            }
        });
    }

    private void handle(String pool, Channel channel, long deliveryTag, byte[] body) throws InterruptedException {
        TaskMessage message;
        try {
            BusMessage parsed = JSON.readValue(body, BusMessage.class);
            if (!(parsed instanceof TaskMessage tm) || tm.job() == null || tm.node() == null
                    || !dev.pipewright.protocol.keys.JobId.isValid(tm.job())) {
                throw new IOException("not a task message");
            }
            message = tm;
        } catch (IOException e) {
            LOG.warn("dead-lettering an unreadable message on pool {}: {}", pool, e.getMessage());
            metrics.deadLettered(pool);
            reject(channel, deliveryTag);
            return;
        }
        String attemptId = config.workerId() + "-" + attemptSeq.incrementAndGet();
        Claim claim;
        try {
            claim = store.claim(message, attemptId, config.workerId(), config.lease());
        } catch (Exception e) {
            LOG.warn("cannot claim {}/{} ({}); handing the message back", message.job(), message.node(), e.toString());
            Thread.sleep(1000);
            nack(channel, deliveryTag);
            return;
        }
        ack(channel, deliveryTag);
        switch (claim) {
            case Claim.Stale stale -> {
                metrics.duplicateDropped(pool);
                LOG.debug("dropped stale message for {}/{} (task is {})", message.job(), message.node(), stale.state());
            }
            case Claim.MissingInput missing -> commitFailure(pool, "?", message, attemptId,
                    "input '" + missing.dataNode() + "' has no value", -1);
            case Claim.Claimed claimed -> runAttempt(pool, message, attemptId, claimed);
        }
    }

    private void runAttempt(String pool, TaskMessage message, String attemptId, Claim.Claimed claimed) {
        TaskSpec spec = claimed.spec();
        Processor processor = processors.find(spec.processor());
        if (processor == null) {
            commitFailure(pool, spec.processor(), message, attemptId,
                    "worker " + config.workerId() + " does not serve processor '" + spec.processor() + "'", 0);
            return;
        }
        metrics.started(pool, spec.processor());
        metrics.inFlight().incrementAndGet();
        running.put(attemptId, new Running(message, Thread.currentThread()));
        long start = System.nanoTime();
        String outcome = "failed";
        try {
            TaskContext ctx = new TaskContext(message.job(), message.node(), claimed.attempt(), claimed.inputs(),
                    spec.outputs(), spec.config() == null ? Map.of() : spec.config(), claimed.parameters(),
                    line -> store.log(message, claimed.attempt(), line));
            TaskResult result;
            try {
                result = processor.process(ctx);
                for (String out : spec.outputs()) {
                    if (result == null || result.outputs().get(out) == null) {
                        throw TaskFailure.permanent("processor '" + spec.processor() + "' wrote no value for output '" + out + "'");
                    }
                }
            } catch (InterruptedException e) {
                outcome = "interrupted";
                LOG.info("attempt {} of {}/{} was interrupted", attemptId, message.job(), message.node());
                return;
            } catch (TaskFailure f) {
                long delay = f.retryable() ? retryDelay(spec, claimed.attempt()) : -1;
                outcome = commitFailure(pool, spec.processor(), message, attemptId, f.getMessage(), delay);
                return;
            } catch (Exception e) {
                outcome = commitFailure(pool, spec.processor(), message, attemptId, e.toString(), retryDelay(spec, claimed.attempt()));
                return;
            }
            outcome = commitWithRetries(message, () -> store.commitSuccess(message, attemptId, result.outputs()));
            if ("fenced".equals(outcome)) {
                metrics.fenced(pool);
            }
        } finally {
            running.remove(attemptId);
            Thread.interrupted();
            metrics.inFlight().decrementAndGet();
            metrics.finished(pool, spec.processor(), outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static long retryDelay(TaskSpec spec, int attempt) {
        Backoff backoff = spec.backoff() == null ? Backoff.FIXED : Backoff.fromWire(spec.backoff());
        RetryPolicy policy = new RetryPolicy(0, backoff == null ? Backoff.FIXED : backoff,
                Duration.ofMillis(spec.retryInitialMs()), Duration.ofMillis(spec.retryMaxDelayMs()), spec.retryJitter());
        return policy.delayBefore(attempt, ThreadLocalRandom.current().nextDouble()).toMillis();
    }

    private String commitFailure(String pool, String processor, TaskMessage message, String attemptId, String error, long delay) {
        String outcome = commitWithRetries(message, () -> store.commitFailure(message, attemptId, error, delay));
        if ("fenced".equals(outcome)) {
            metrics.fenced(pool);
        }
        return outcome;
    }

    private interface Commit {
        String run() throws Exception;
    }

    /** Retries a commit through short Redis outages, within the lease; after that the sweeper decides. */
    private String commitWithRetries(TaskMessage message, Commit commit) {
        long deadline = System.nanoTime() + config.lease().toNanos();
        long backoff = 100;
        while (true) {
            try {
                return commit.run();
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    LOG.error("giving up committing {}/{}: {}", message.job(), message.node(), e.toString());
                    return "uncommitted";
                }
                LOG.warn("commit of {}/{} failed ({}); retrying", message.job(), message.node(), e.toString());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return "interrupted";
                }
                backoff = Math.min(backoff * 2, 2000);
            }
        }
    }

    private static void ack(Channel channel, long tag) {
        try {
            synchronized (channel) {
                channel.basicAck(tag, false);
            }
        } catch (Exception e) {
            LOG.debug("ack failed (channel recovered?): {}", e.toString());
        }
    }

    private static void nack(Channel channel, long tag) {
        try {
            synchronized (channel) {
                channel.basicNack(tag, false, true);
            }
        } catch (Exception e) {
            LOG.debug("nack failed (channel recovered?): {}", e.toString());
        }
    }

    private static void reject(Channel channel, long tag) {
        try {
            synchronized (channel) {
                channel.basicReject(tag, false);
            }
        } catch (Exception e) {
            LOG.debug("reject failed: {}", e.toString());
        }
    }

    /** Stops taking messages, then waits up to {@code grace} for running attempts to end. */
    public void stop(Duration grace) throws InterruptedException {
        stopping = true;
        for (Channel channel : channels) {
            try {
                channel.basicCancel(consumerTags.get(channel));
            } catch (Exception e) {
                LOG.debug("cancel failed: {}", e.toString());
            }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!running.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (!running.isEmpty()) {
            LOG.warn("{} attempts still running after {}; interrupting them (their leases will expire and they will be re-dispatched)",
                    running.size(), grace);
            running.values().forEach(r -> r.thread().interrupt());
        }
        executor.shutdown();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }

    public boolean stopping() {
        return stopping;
    }
}
