package dev.pipewright.worker.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.StopAttempts;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.message.TaskSpec;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes the pool queues and runs attempts: at most {@code concurrency} at once. For each
 * message: claim in Redis (a stale duplicate is acked and dropped), ack at once (so a long task
 * never trips RabbitMQ's consumer timeout; the lease now stands for the message), run the
 * processor on a virtual thread, commit. A message that cannot be parsed is rejected to the
 * dead-letter queue. Attempts are interrupted when their job is stopped (control broadcast or a
 * refused lease renewal), when they pass their timeout, and when the worker shuts down (they are
 * then handed back).
 */
public final class TaskConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(TaskConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROCESS_NONCE = Long.toString(new java.security.SecureRandom().nextLong() & 0xffffffffL, 36);

    private final WorkerConfig config;
    private final ProcessorRegistry processors;
    private final AttemptStore store;
    private final Topology topology;
    private final WorkerMetrics metrics;
    private final Semaphore slots;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timers;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final AtomicLong attemptSeq = new AtomicLong();
    private final List<Channel> channels = new ArrayList<>();
    private final Map<Channel, String> consumerTags = new ConcurrentHashMap<>();
    /** Set when the worker shuts down: messages not yet claimed go back to the queue. */
    private volatile boolean stopping;
    /** Set when the grace period is over: every attempt, including one that registers from now on, is handed back. */
    private volatile boolean handingBack;

    /** A running attempt. */
    private static final class Running {
        final String attemptId;
        final TaskMessage message;
        final Thread thread;
        final Duration lease;
        volatile long nextRenewNanos;
        volatile StopReason stopReason;
        volatile String stopDetail;
        volatile ScheduledFuture<?> timeout;

        Running(String attemptId, TaskMessage message, Thread thread, Duration lease) {
            this.attemptId = attemptId;
            this.message = message;
            this.thread = thread;
            this.lease = lease;
            this.nextRenewNanos = System.nanoTime() + lease.toNanos() / 3;
        }
    }

    public TaskConsumer(WorkerConfig config, ProcessorRegistry processors, AttemptStore store, Topology topology,
                        WorkerMetrics metrics, ScheduledExecutorService timers) {
        this.config = config;
        this.processors = processors;
        this.store = store;
        this.topology = topology;
        this.metrics = metrics;
        this.timers = timers;
        this.slots = new Semaphore(config.concurrency());
    }

    public void start(Connection connection) throws IOException {
        Channel control = connection.createChannel();
        topology.declareShared(control);
        String controlQueue = topology.declareControlQueue(control);
        control.basicConsume(controlQueue, true, new DefaultConsumer(control) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                onControl(body);
            }
        });
        for (String pool : config.pools()) {
            Channel channel = connection.createChannel();
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
        timers.scheduleWithFixedDelay(this::renewDueLeases, 250, 250, TimeUnit.MILLISECONDS);
    }

    public int inFlight() {
        return running.size();
    }

    private void onControl(byte[] body) {
        try {
            if (JSON.readValue(body, BusMessage.class) instanceof StopAttempts stop) {
                for (Running r : running.values()) {
                    if (stop.matches(r.message.job(), r.message.node(), r.attemptId)) {
                        stop(r, StopReason.STOPPED, stop.reason() == null ? "stopped" : stop.reason());
                    }
                }
            }
        } catch (IOException e) {
            LOG.warn("ignoring an unreadable control message: {}", e.getMessage());
        }
    }

    private void stop(Running r, StopReason reason, String detail) {
        if (r.stopReason == null) {
            r.stopDetail = detail;
            r.stopReason = reason;
            LOG.info("stopping attempt {} of {}/{}: {}", r.attemptId, r.message.job(), r.message.node(), detail);
            r.thread.interrupt();
        }
    }

    private void renewDueLeases() {
        try {
            long now = System.nanoTime();
            List<AttemptStore.Renewal> due = new ArrayList<>();
            for (Running r : running.values()) {
                if (r.nextRenewNanos <= now && r.stopReason == null) {
                    due.add(new AttemptStore.Renewal(r.attemptId, r.message, r.lease));
                    r.nextRenewNanos = now + r.lease.toNanos() / 3;
                }
            }
            if (due.isEmpty()) {
                return;
            }
            for (String lost : store.renew(due)) {
                Running r = running.get(lost);
                if (r != null) {
                    stop(r, StopReason.STOPPED, "the attempt no longer holds its task (job stopped, timed out or lease lost)");
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("lease renewal failed: {}", e.toString());
        }
    }

    private void onDelivery(String pool, Channel channel, long deliveryTag, byte[] body) {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (stopping) {
            // a message that waited for a free slot while the worker was stopping: another worker takes it
            slots.release();
            nack(channel, deliveryTag);
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
            if (!(parsed instanceof TaskMessage tm) || tm.job() == null || tm.node() == null || !JobId.isValid(tm.job())) {
                throw new IOException("not a task message");
            }
            message = tm;
        } catch (IOException e) {
            LOG.warn("dead-lettering an unreadable message on pool {}: {}", pool, e.getMessage());
            metrics.deadLettered(pool);
            reject(channel, deliveryTag);
            return;
        }
        if (stopping) {
            nack(channel, deliveryTag); // not claimed yet: another worker takes it
            return;
        }
        // the process nonce keeps attempt ids (fencing tokens) unique even when a worker id is reused
        String attemptId = config.workerId() + "-" + PROCESS_NONCE + "-" + attemptSeq.incrementAndGet();
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
            case Claim.MissingInput missing -> end(pool, message, attemptId, "fail",
                    "input '" + missing.dataNode() + "' has no value", false);
            case Claim.Claimed claimed -> runAttempt(pool, message, attemptId, claimed);
        }
    }

    private void runAttempt(String pool, TaskMessage message, String attemptId, Claim.Claimed claimed) {
        TaskSpec spec = claimed.spec();
        Processor processor = processors.find(spec.processor());
        if (processor == null) {
            end(pool, message, attemptId, "fail", "worker " + config.workerId() + " does not serve processor '" + spec.processor() + "'", true);
            return;
        }
        metrics.started(pool, spec.processor(), claimed.queueWait());
        metrics.inFlight().incrementAndGet();
        Running r = new Running(attemptId, message, Thread.currentThread(), claimed.lease());
        running.put(attemptId, r);
        if (handingBack) {
            // claimed just as the grace period ended, after stop() looked at the running attempts
            stop(r, StopReason.SHUTDOWN, "handed back: worker " + config.workerId() + " shut down");
        }
        if (spec.timeoutMs() > 0) {
            r.timeout = timers.schedule(() -> stop(r, StopReason.TIMEOUT, "attempt exceeded its timeout (" + spec.timeoutMs() + " ms)"),
                    spec.timeoutMs(), TimeUnit.MILLISECONDS);
        }
        long start = System.nanoTime();
        String outcome = "failed";
        try {
            TaskContext ctx = new TaskContext(message.job(), message.node(), claimed.attempt(), claimed.inputs(),
                    spec.outputs(), spec.config() == null ? Map.of() : spec.config(), claimed.parameters(),
                    line -> store.log(message, claimed.attempt(), line));
            TaskResult result = null;
            String failure = null;
            boolean retryable = true;
            try {
                result = processor.process(ctx);
                for (String out : spec.outputs()) {
                    if (result == null || result.outputs().get(out) == null) {
                        throw TaskFailure.permanent("processor '" + spec.processor() + "' wrote no value for output '" + out + "'");
                    }
                }
            } catch (TaskFailure f) {
                failure = f.getMessage();
                retryable = f.retryable();
            } catch (Exception e) {
                failure = e instanceof InterruptedException ? "interrupted" : e.toString();
            }
            if (r.timeout != null) {
                r.timeout.cancel(false);
            }
            Thread.interrupted();
            StopReason stopped = r.stopReason;
            if (stopped != null) {
                outcome = switch (stopped) {
                    case TIMEOUT -> end(pool, message, attemptId, "timeout", r.stopDetail, true);
                    case SHUTDOWN -> end(pool, message, attemptId, "handback", r.stopDetail, true);
                    case STOPPED -> end(pool, message, attemptId, "interrupted", r.stopDetail, false);
                };
            } else if (failure != null) {
                outcome = end(pool, message, attemptId, "fail", failure, retryable);
            } else {
                TaskResult done = result;
                outcome = commitWithRetries(message, () -> store.commitSuccess(message, attemptId, done.outputs()));
                if ("fenced".equals(outcome)) {
                    metrics.fenced(pool);
                }
            }
        } finally {
            running.remove(attemptId);
            Thread.interrupted();
            metrics.inFlight().decrementAndGet();
            metrics.finished(pool, spec.processor(), outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private String end(String pool, TaskMessage message, String attemptId, String outcome, String error, boolean retryable) {
        String result = commitWithRetries(message, () -> store.commitFailure(message, attemptId, outcome, error, retryable));
        if ("fenced".equals(result)) {
            metrics.fenced(pool);
        }
        return result;
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
                    Thread.currentThread().interrupt();
                    return "uncommitted";
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

    /** Messages being handled: from delivery through claim, run and commit. */
    private int active() {
        return config.concurrency() - slots.availablePermits();
    }

    /**
     * Stops taking messages, waits up to {@code grace} for running attempts to finish, then hands
     * the rest back (they are dispatched again at once, not counted as lost). A message that was
     * delivered but not yet claimed goes back to the queue. Waits for every message being handled,
     * not only for registered attempts: one between its claim and its start would otherwise be
     * abandoned to its lease.
     */
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
        while (active() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (active() > 0) {
            handingBack = true;
            LOG.warn("{} attempts still running after {}; handing them back", running.size(), grace);
            running.values().forEach(r -> stop(r, StopReason.SHUTDOWN, "handed back: worker " + config.workerId() + " shut down"));
            long handBackDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (active() > 0 && System.nanoTime() < handBackDeadline) {
                Thread.sleep(50);
            }
        }
        executor.shutdown();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }
}
