package dev.pipewright.worker.runtime;

import dev.pipewright.infra.log.LogSafe;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.PoolControl;
import dev.pipewright.protocol.message.StopAttempts;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.worker.config.WorkerConfig;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.ProcessorRegistry;
import dev.pipewright.worker.store.AttemptStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes the pool queues (three per pool, one per priority) and runs attempts, at most
 * {@code concurrency} at once, the highest-priority delivery first. The parts: {@link PoolChannel}
 * consumes a queue and acks with {@code multiple} ({@link AckBatcher}); {@link AttemptScheduler}
 * claims waiting deliveries in batches as slots free up; {@link DeliveryLimit} stands in for a
 * quorum queue's delivery limit on classic queues; {@link AttemptRunner} runs the processors and
 * {@link CommitBatcher} commits their ends in batches. A message is acked once its claim is answered
 * (so a long task never trips RabbitMQ's consumer timeout; the lease now stands for the message). A
 * paused pool's consumer is cancelled (its messages wait in the queue); the paused set in Redis is
 * the truth, a {@link PoolControl} broadcast makes the worker act at once.
 */
public final class TaskConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(TaskConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROCESS_NONCE = Long.toString(new java.security.SecureRandom().nextLong() & 0xffffffffL, 36);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final WorkerConfig config;
    private final Topology topology;
    private final WorkerMetrics metrics;
    private final ScheduledExecutorService timers;
    private final CommitBatcher commits;
    private final AttemptRunner runner;
    private final AttemptScheduler scheduler;
    private final DeliveryLimit deliveryLimit;
    private final AtomicLong attemptSeq = new AtomicLong();
    private final Map<String, PoolChannel> pools = new LinkedHashMap<>();
    /** Bumped by each control message, so a paused set read from Redis before it cannot undo it. */
    private final AtomicLong controlSeq = new AtomicLong();
    private Thread schedulerThread;
    private Thread committerThread;
    private volatile boolean started;
    private volatile Connection connection;
    private volatile boolean stopping;

    public TaskConsumer(WorkerConfig config, ProcessorRegistry processors, AttemptStore store, Topology topology,
                        WorkerMetrics metrics, ScheduledExecutorService timers) {
        this.config = config;
        this.topology = topology;
        this.metrics = metrics;
        this.timers = timers;
        this.commits = new CommitBatcher(store::commit, config.lease(), CALL_TIMEOUT);
        this.deliveryLimit = new DeliveryLimit(new DeliveryLimit.Counts() {
            @Override
            public long countRedelivery(byte[] body) throws Exception {
                return store.countRedelivery(body);
            }

            @Override
            public void uncountRedelivery(byte[] body) {
                store.uncountRedelivery(body);
            }
        }, topology, () -> connection, metrics);
        this.runner = new AttemptRunner(config, processors, store, commits, metrics, timers);
        this.scheduler = new AttemptScheduler(store::claim, runner, new AttemptScheduler.Hooks() {
            @Override
            public boolean overDeliveryLimit(Delivery d) throws InterruptedException {
                return config.common().queueType() == QueueType.CLASSIC && deliveryLimit.overLimit(d);
            }

            @Override
            public String attemptId() {
                // the process nonce keeps attempt ids (fencing tokens) unique even when a worker id is reused
                return config.workerId() + "-" + PROCESS_NONCE + "-" + attemptSeq.incrementAndGet();
            }

            @Override
            public void duplicate(String pool) {
                metrics.duplicateDropped(pool);
            }

            @Override
            public void unreadable(String pool) {
                metrics.deadLettered(pool);
            }

            @Override
            public int commitBacklog() {
                return commits.backlog();
            }

            @Override
            public boolean quick(String processor) {
                Processor p = processors.find(processor);
                return p != null && p.quick();
            }
        }, config.workerId(), config.lease(), config.concurrency(), CALL_TIMEOUT);
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
        committerThread = Thread.ofPlatform().daemon().name("commits").start(commits);
        schedulerThread = Thread.ofPlatform().daemon().name("attempt-scheduler").start(scheduler);
        for (String pool : config.pools()) {
            for (Priority priority : Priority.values()) {
                Channel channel = connection.createChannel();
                String queue = topology.declarePool(channel, priority.routingKey(pool));
                channel.basicQos(config.prefetch());
                PoolChannel pc = new PoolChannel(pool, priority, channel, queue,
                        config.workerId() + "/" + priority.routingKey(pool) + "/" + attemptSeq.incrementAndGet(), this::onDelivery);
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
        timers.scheduleWithFixedDelay(runner::renewDueLeases, 250, 250, TimeUnit.MILLISECONDS);
    }

    private void onDelivery(Delivery delivery) {
        if (stopping) {
            delivery.handBack();
            return;
        }
        scheduler.submit(delivery);
    }

    public int inFlight() {
        return runner.inFlight();
    }

    /** Seconds the oldest attempt of the pool running here has run so far; 0 when none runs. */
    public double oldestAttemptSeconds(String pool) {
        return runner.oldestAttemptSeconds(pool);
    }

    /**
     * Whether the worker takes work: started, not stopping, and every pool queue's channel open
     * (a paused pool's consumer is cancelled on purpose and still counts as running).
     */
    public boolean consuming() {
        if (!started || stopping) {
            return false;
        }
        for (PoolChannel pc : poolChannels()) {
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
        for (PoolChannel pc : poolChannels()) {
            pc.setPaused(paused.contains(pc.pool), stopping);
        }
    }

    private List<PoolChannel> poolChannels() {
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
        for (PoolChannel pc : poolChannels()) {
            out.merge("inflight:" + pc.pool, Integer.toString(pc.inFlight.get()),
                    (a, b) -> Integer.toString(Integer.parseInt(a) + Integer.parseInt(b)));
            out.merge("unacked:" + pc.pool, Integer.toString(pc.unacked()),
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
                for (PoolChannel pc : poolChannels()) {
                    if (pc.pool.equals(pool.pool())) {
                        pc.setPaused(pool.paused(), stopping);
                    }
                }
            } else if (message instanceof StopAttempts stop) {
                runner.stopMatching(stop);
            }
        } catch (IOException e) {
            LOG.warn("ignoring an unreadable control message: {}", LogSafe.text(e.getMessage()));
        }
    }

    /** Messages being handled: being claimed, running, or with a commit not answered yet. */
    private int active() {
        return scheduler.busy() + runner.inFlight() + commits.backlog();
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
        for (PoolChannel pc : poolChannels()) {
            pc.cancel();
        }
        scheduler.stop();
        long deadline = System.nanoTime() + grace.toNanos();
        while (active() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (active() > 0) {
            runner.handBackAll();
            long handBackDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (active() > 0 && System.nanoTime() < handBackDeadline) {
                Thread.sleep(50);
            }
        }
        for (PoolChannel pc : poolChannels()) {
            pc.acks.flush();
        }
        commits.stop();
        if (committerThread != null) {
            committerThread.join(2000);
        }
        runner.shutdown();
    }
}
