package dev.pipewright.worker.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.PoolControl;
import dev.pipewright.protocol.message.StopAttempts;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.protocol.pipeline.Priority;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes the pool queues (three per pool, one per priority) and runs attempts: at most
 * {@code concurrency} at once, the highest-priority delivery first. For each
 * message: claim in Redis (a stale duplicate is acked and dropped), ack at once (so a long task
 * never trips RabbitMQ's consumer timeout; the lease now stands for the message), run the
 * processor on a virtual thread, commit. A message that cannot be parsed is rejected to the
 * dead-letter queue. Attempts are interrupted when their job is stopped (control broadcast or a
 * refused lease renewal), when they pass their timeout, and when the worker shuts down (they are
 * then handed back). A paused pool's consumer is cancelled (its messages wait in the queue); the
 * paused set in Redis is the truth, a {@link PoolControl} broadcast makes the worker act at once.
 *
 * <p>A quorum queue dead-letters a message redelivered past its delivery limit (one that crashes
 * workers before they can claim it). A classic queue has no such limit, so on classic queues the
 * worker counts each redelivery of a message in Redis before it does anything else with it, and
 * past {@link Topology#DELIVERY_LIMIT} publishes it to the dead-letter exchange with that reason
 * instead of handling it; the overseer then fails its task as for a quorum queue. A message the
 * worker hands back itself (shutdown, pause, Redis down) takes its count back.
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
    private final PriorityBlockingQueue<Pending> waiting = new PriorityBlockingQueue<>();
    private final AtomicLong deliverySeq = new AtomicLong();
    private Thread starter;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timers;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final AtomicLong attemptSeq = new AtomicLong();
    private final Map<String, PoolConsumer> pools = new LinkedHashMap<>();
    /** Bumped by each control message, so a paused set read from Redis before it cannot undo it. */
    private final AtomicLong controlSeq = new AtomicLong();
    private volatile boolean started;
    private Connection connection;
    /** A confirming channel for dead letters of classic queues (created on first use). */
    private Channel deadLetters;
    private volatile boolean stopping;
    /** Set when the grace period is over: every attempt, including one that registers from now on, is handed back. */
    private volatile boolean handingBack;

    /** The consumer of one of a pool's queues (one per priority), with its unsettled deliveries and running attempts. */
    private final class PoolConsumer {
        final String pool;
        final Priority priority;
        final Channel channel;
        final String queue;
        final AtomicInteger unacked = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        volatile boolean paused;
        String tag;

        PoolConsumer(String pool, Priority priority, Channel channel, String queue) {
            this.pool = pool;
            this.priority = priority;
            this.channel = channel;
            this.queue = queue;
        }

        synchronized void consume() throws IOException {
            if (tag != null) {
                return;
            }
            synchronized (channel) {
                tag = channel.basicConsume(queue, false, config.workerId() + "/" + priority.routingKey(pool) + "/" + attemptSeq.incrementAndGet(),
                        new DefaultConsumer(channel) {
                            @Override
                            public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                                onDelivery(PoolConsumer.this, envelope.getDeliveryTag(), envelope.isRedeliver(), body);
                            }
                        });
            }
        }

        synchronized void cancel() {
            if (tag == null) {
                return;
            }
            try {
                synchronized (channel) {
                    channel.basicCancel(tag);
                }
            } catch (Exception e) {
                LOG.debug("cancel of {} failed: {}", pool, e.toString());
            }
            tag = null;
        }

        synchronized void setPaused(boolean pause) {
            if (pause == paused && (pause || tag != null || stopping)) {
                return;
            }
            paused = pause;
            if (pause) {
                cancel();
                LOG.info("pool {} paused: not consuming {}", pool, queue);
            } else if (!stopping) {
                try {
                    consume();
                    LOG.info("pool {} resumed: consuming {}", pool, queue);
                } catch (IOException e) {
                    LOG.warn("cannot resume consuming pool {}: {}", pool, e.toString());
                }
            }
        }
    }

    /** A delivery until it is acked, handed back or rejected (counted as unacked until then). */
    private static final class Delivery {
        final PoolConsumer pool;
        final long tag;
        final boolean redelivered;
        private boolean settled;
        /** Takes back this delivery's redelivery count when the worker hands it back itself. */
        private volatile Runnable uncount;

        Delivery(PoolConsumer pool, long tag, boolean redelivered) {
            this.pool = pool;
            this.tag = tag;
            this.redelivered = redelivered;
            pool.unacked.incrementAndGet();
        }

        private synchronized boolean settle() {
            if (settled) {
                return false;
            }
            settled = true;
            pool.unacked.decrementAndGet();
            return true;
        }

        void ack() {
            if (settle()) {
                TaskConsumer.ack(pool.channel, tag);
            }
        }

        void handBack() {
            if (settle()) {
                TaskConsumer.nack(pool.channel, tag);
                Runnable u = uncount;
                if (u != null) {
                    u.run();
                }
            }
        }

        void reject() {
            if (settle()) {
                TaskConsumer.reject(pool.channel, tag);
            }
        }
    }

    /** A delivery waiting for a free slot; the highest priority, then the oldest, starts first. */
    private record Pending(PoolConsumer pc, Delivery delivery, byte[] body, long seq) implements Comparable<Pending> {
        @Override
        public int compareTo(Pending o) {
            int byPriority = o.pc.priority.compareTo(pc.priority);
            return byPriority != 0 ? byPriority : Long.compare(seq, o.seq);
        }
    }

    /** A running attempt. */
    private static final class Running {
        final String attemptId;
        final String pool;
        final TaskMessage message;
        final Thread thread;
        final Duration lease;
        final long startedNanos = System.nanoTime();
        volatile long nextRenewNanos;
        volatile StopReason stopReason;
        volatile String stopDetail;
        volatile ScheduledFuture<?> timeout;

        Running(String attemptId, String pool, TaskMessage message, Thread thread, Duration lease) {
            this.attemptId = attemptId;
            this.pool = pool;
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

    /** Starts consuming every pool of the configuration except the paused ones. */
    public void start(Connection connection, Set<String> paused) throws IOException {
        this.connection = connection;
        Channel control = connection.createChannel();
        topology.declareShared(control);
        String controlQueue = topology.declareControlQueue(control);
        control.basicConsume(controlQueue, true, new DefaultConsumer(control) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                onControl(body);
            }
        });
        starter = Thread.ofVirtual().name("attempt-starter").start(this::startAttempts);
        for (String pool : config.pools()) {
            for (Priority priority : Priority.values()) {
                Channel channel = connection.createChannel();
                String queue = topology.declarePool(channel, priority.routingKey(pool));
                channel.basicQos(config.concurrency());
                PoolConsumer pc = new PoolConsumer(pool, priority, channel, queue);
                synchronized (pools) {
                    pools.put(priority.routingKey(pool), pc);
                }
                if (paused.contains(pool)) {
                    pc.paused = true;
                } else {
                    pc.consume();
                }
            }
            if (paused.contains(pool)) {
                LOG.info("pool {} is paused: not consuming it until it is resumed", pool);
            }
        }
        started = true;
        timers.scheduleWithFixedDelay(this::renewDueLeases, 250, 250, TimeUnit.MILLISECONDS);
    }

    public int inFlight() {
        return running.size();
    }

    /** Seconds the oldest attempt of the pool running here has run so far; 0 when none runs. */
    public double oldestAttemptSeconds(String pool) {
        long now = System.nanoTime();
        long oldest = 0;
        for (Running r : running.values()) {
            if (r.pool.equals(pool)) {
                oldest = Math.max(oldest, now - r.startedNanos);
            }
        }
        return oldest / 1e9;
    }

    /**
     * Whether the worker takes work: started, not stopping, and every pool queue's channel open
     * (a paused pool's consumer is cancelled on purpose and still counts as running).
     */
    public boolean consuming() {
        if (!started || stopping) {
            return false;
        }
        for (PoolConsumer pc : poolConsumers()) {
            if (!pc.channel.isOpen()) {
                return false;
            }
        }
        return true;
    }

    /** The control sequence to pass to {@link #applyPaused} with a paused set read after this call. */
    public long controlSeq() {
        return controlSeq.get();
    }

    /**
     * Applies the paused set read from Redis (every heartbeat), unless a control message arrived
     * since {@code seq} was taken (the broadcast is newer than what was read).
     */
    public void applyPaused(Set<String> paused, long seq) {
        if (!started || controlSeq.get() != seq) {
            return;
        }
        for (PoolConsumer pc : poolConsumers()) {
            pc.setPaused(paused.contains(pc.pool));
        }
    }

    private List<PoolConsumer> poolConsumers() {
        synchronized (pools) {
            return List.copyOf(pools.values());
        }
    }

    /**
     * Heartbeat fields: per pool the attempts running ({@code inflight:<pool>}) and the deliveries
     * received but not yet settled ({@code unacked:<pool>}), and the pools this worker has paused.
     */
    public Map<String, String> poolStats() {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> paused = new TreeSet<>();
        for (PoolConsumer pc : poolConsumers()) {
            out.merge("inflight:" + pc.pool, Integer.toString(pc.inFlight.get()),
                    (a, b) -> Integer.toString(Integer.parseInt(a) + Integer.parseInt(b)));
            out.merge("unacked:" + pc.pool, Integer.toString(pc.unacked.get()),
                    (a, b) -> Integer.toString(Integer.parseInt(a) + Integer.parseInt(b)));
            if (pc.paused) {
                paused.add(pc.pool);
            }
        }
        out.put("paused", String.join(",", paused));
        return out;
    }

    private void onControl(byte[] body) {
        try {
            BusMessage message = JSON.readValue(body, BusMessage.class);
            if (message instanceof PoolControl pool) {
                controlSeq.incrementAndGet();
                for (PoolConsumer pc : poolConsumers()) {
                    if (pc.pool.equals(pool.pool())) {
                        pc.setPaused(pool.paused());
                    }
                }
            } else if (message instanceof StopAttempts stop) {
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

    private void onDelivery(PoolConsumer pc, long deliveryTag, boolean redelivered, byte[] body) {
        Delivery delivery = new Delivery(pc, deliveryTag, redelivered);
        if (stopping) {
            delivery.handBack();
            return;
        }
        waiting.add(new Pending(pc, delivery, body, deliverySeq.incrementAndGet()));
    }

    /** Whenever a slot is free, starts the best waiting delivery (highest priority, then oldest). */
    private void startAttempts() {
        while (!stopping) {
            Pending next;
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            try {
                next = waiting.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                slots.release();
                return;
            }
            if (next == null || stopping) {
                slots.release();
                if (next != null) {
                    next.delivery.handBack();
                }
                continue;
            }
            start(next.pc, next.delivery, next.body);
        }
    }

    private void start(PoolConsumer pc, Delivery delivery, byte[] body) {
        executor.execute(() -> {
            try {
                if (pc.paused) {
                    // received before the pause took effect and not started: back to the queue
                    delivery.handBack();
                    return;
                }
                handle(pc.pool, delivery, body);
            } catch (Throwable t) {
                LOG.error("unexpected error handling a message from pool {}", pc.pool, t);
            } finally {
                delivery.handBack(); // no-op once settled
                slots.release();
            }
        });
    }

    private void handle(String pool, Delivery delivery, byte[] body) throws InterruptedException {
        if (delivery.redelivered && config.common().queueType() == QueueType.CLASSIC && overDeliveryLimit(pool, delivery, body)) {
            return;
        }
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
            delivery.reject();
            return;
        }
        if (stopping) {
            delivery.handBack(); // not claimed yet: another worker takes it
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
            delivery.handBack();
            return;
        }
        delivery.ack();
        switch (claim) {
            case Claim.Stale stale -> {
                metrics.duplicateDropped(pool);
                LOG.debug("dropped stale message for {}/{} (task is {})", message.job(), message.node(), stale.state());
            }
            case Claim.MissingInput missing -> metrics.ended(pool, missing.processor(), end(message, attemptId, "fail",
                    "input '" + missing.dataNode() + "' has no value", false));
            case Claim.Claimed claimed -> {
                PoolConsumer pc = delivery.pool;
                pc.inFlight.incrementAndGet();
                try {
                    runAttempt(pool, message, attemptId, claimed);
                } finally {
                    pc.inFlight.decrementAndGet();
                }
            }
        }
    }

    /**
     * Counts a redelivery on a classic queue (first of all: whatever crashed the worker last time
     * may do it again) and, past the delivery limit, dead-letters the message with that reason.
     * True when the message was taken care of. A count that cannot be taken (Redis down) lets the
     * message through: the claim needs Redis too, and hands it back.
     */
    private boolean overDeliveryLimit(String pool, Delivery delivery, byte[] body) throws InterruptedException {
        long count;
        try {
            count = store.countRedelivery(body);
        } catch (Exception e) {
            LOG.warn("cannot count a redelivery on pool {} ({}); handling the message", pool, e.toString());
            return false;
        }
        delivery.uncount = () -> store.uncountRedelivery(body);
        if (count <= Topology.DELIVERY_LIMIT) {
            return false;
        }
        try {
            deadLetter(delivery.pool.queue, body, count);
        } catch (Exception e) {
            LOG.warn("cannot dead-letter a message redelivered {} times on pool {} ({}); handing it back", count, pool, e.toString());
            delivery.uncount = null; // it was counted rightly: the next delivery tries again
            Thread.sleep(1000);
            delivery.handBack();
            return true;
        }
        LOG.warn("dead-lettered a message redelivered {} times on pool {} (the delivery limit is {})", count, pool, Topology.DELIVERY_LIMIT);
        metrics.deadLettered(pool);
        delivery.ack();
        return true;
    }

    /** Publishes a message to the dead-letter exchange, confirmed, saying it passed the delivery limit. */
    private void deadLetter(String queue, byte[] body, long deliveries) throws Exception {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put(Topology.DEATH_HEADER, "delivery_limit");
        headers.put(Topology.DEATH_QUEUE_HEADER, queue);
        headers.put(Topology.DEATH_COUNT_HEADER, deliveries);
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("application/json")
                .headers(headers).build();
        synchronized (this) {
            if (deadLetters == null || !deadLetters.isOpen()) {
                deadLetters = connection.createChannel();
                deadLetters.confirmSelect();
            }
            deadLetters.basicPublish(topology.keys().deadLetterExchange(), queue, props, body);
            deadLetters.waitForConfirmsOrDie(10_000);
        }
    }

    private void runAttempt(String pool, TaskMessage message, String attemptId, Claim.Claimed claimed) {
        TaskSpec spec = claimed.spec();
        Processor processor = processors.find(spec.processor());
        if (processor == null) {
            metrics.ended(pool, spec.processor(), end(message, attemptId, "fail",
                    "worker " + config.workerId() + " does not serve processor '" + spec.processor() + "'", true));
            return;
        }
        if (claimed.infra() != null && !config.resources().fits(claimed.infra())) {
            // a pool may mix worker sizes: hand the task back for a worker of the pool that offers it
            // (not a failure, not a retry; the overseer re-dispatches it, a bounded number of times)
            String why = "worker " + config.workerId() + " offers " + config.resources().describe() + ", the job asks for "
                    + claimed.infra().toMap();
            LOG.info("refusing {}/{}: {}", message.job(), message.node(), why);
            metrics.ended(pool, spec.processor(), end(message, attemptId, "refuse", why, true));
            return;
        }
        metrics.started(pool, spec.processor(), claimed.queueWait());
        metrics.inFlight().incrementAndGet();
        Running r = new Running(attemptId, pool, message, Thread.currentThread(), claimed.lease());
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
        String outcome = "uncommitted"; // what the commit script answered; stays so if this throws before committing
        try {
            TaskContext ctx = new TaskContext(message.job(), message.node(), claimed.attempt(), claimed.inputs(),
                    spec.outputs(), spec.config() == null ? Map.of() : spec.config(), claimed.parameters(),
                    line -> store.log(message, claimed.attempt(), line));
            TaskResult result = null;
            String failure = null;
            boolean retryable = true;
            try {
                // what the processor logs through SLF4J on this thread goes into the attempt's log too
                try (ProcessorLogCapture.Scope ignored = ProcessorLogCapture.bind(attemptId, message.job(), message.node(), ctx.log())) {
                    result = processor.process(ctx);
                }
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
                    case TIMEOUT -> end(message, attemptId, "timeout", r.stopDetail, true);
                    case SHUTDOWN -> end(message, attemptId, "handback", r.stopDetail, true);
                    case STOPPED -> end(message, attemptId, "interrupted", r.stopDetail, false);
                };
            } else if (failure != null) {
                outcome = end(message, attemptId, "fail", failure, retryable);
            } else {
                TaskResult done = result;
                outcome = commitWithRetries(message, () -> store.commitSuccess(message, attemptId, done.outputs()));
            }
        } finally {
            running.remove(attemptId);
            Thread.interrupted();
            metrics.inFlight().decrementAndGet();
            metrics.finished(pool, spec.processor(), outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** Commits an attempt that did not succeed; returns the commit script's reply (see {@link AttemptStore#commitFailure}). */
    private String end(TaskMessage message, String attemptId, String outcome, String error, boolean retryable) {
        return commitWithRetries(message, () -> store.commitFailure(message, attemptId, outcome, error, retryable));
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
     * abandoned to its lease. A message that was
     * delivered but not yet claimed goes back to the queue. Waits for every message being handled,
     * not only for registered attempts: one between its claim and its start would otherwise be
     * abandoned to its lease.
     */
    public void stop(Duration grace) throws InterruptedException {
        stopping = true;
        for (PoolConsumer pc : poolConsumers()) {
            pc.cancel();
        }
        if (starter != null) {
            starter.interrupt();
        }
        for (Pending p; (p = waiting.poll()) != null; ) {
            p.delivery.handBack(); // received, never started: back to its queue
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
