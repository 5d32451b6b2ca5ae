package dev.pipewright.worker.runtime;

import dev.pipewright.infra.metrics.Buckets;
import dev.pipewright.infra.metrics.JvmMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;

/**
 * The worker's meters, all registered here (and the JVM's, {@link JvmMeters}); tags are bounded
 * (pool, processor, outcome).
 *
 * <p>{@code pipewright.tasks.finished{outcome}} counts attempts whose end the task took, by what
 * the user sees: {@code SUCCESS}, {@code FAILED}, {@code TIMED_OUT}, {@code CANCELLED}, or
 * {@code retry} (it failed and the task waits for another attempt). Attempts whose end the task
 * did not take are counted apart: {@code pipewright.attempts.fenced} (it no longer held the task),
 * {@code pipewright.attempts.handedback} (shutdown: dispatched again at once) and
 * {@code pipewright.attempts.uncommitted} (Redis stayed unreachable; the lease decides).
 */
public final class WorkerMetrics implements AutoCloseable {
    /** The {@code outcome} values of {@code pipewright.tasks.finished}. */
    public static final List<String> OUTCOMES = List.of("SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "retry");

    private final MeterRegistry registry;
    private final JvmMeters jvm;
    private final AtomicInteger inFlight = new AtomicInteger();

    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.jvm = JvmMeters.bindTo(registry);
        registry.gauge("pipewright.worker.inflight", inFlight);
    }

    /**
     * Registers the per-pool counters of rare events at zero, so that a dashboard panel or alert on
     * them reads 0 rather than nothing until the first one happens.
     */
    public void registerPools(Collection<String> pools) {
        for (String pool : pools) {
            Counter.builder("pipewright.messages.duplicates").tag("pool", pool).register(registry);
            Counter.builder("pipewright.attempts.fenced").tag("pool", pool).register(registry);
            Counter.builder("pipewright.attempts.handedback").tag("pool", pool).register(registry);
            Counter.builder("pipewright.attempts.uncommitted").tag("pool", pool).register(registry);
            Counter.builder("pipewright.messages.deadlettered").tag("pool", pool).register(registry);
        }
    }

    /**
     * Registers at zero, for every pool and processor this worker serves, the attempts started and
     * finished by outcome and the queue-wait and run-time histograms, so that a rate or increase of
     * them sees the first attempt (a histogram created by its first attempt would show up with that
     * attempt already counted, and {@code rate()} would never see it). The price: 26 series per
     * timer (Buckets.TASK and +Inf, count, sum, max) for each pool and processor, run or not.
     */
    public void registerProcessors(Collection<String> pools, Collection<String> processors) {
        for (String pool : pools) {
            for (String processor : processors) {
                PoolProcessorMeters m = meters(pool, processor);
                m.queueWait(registry, pool, processor);
                m.duration(registry, pool, processor);
                for (String outcome : OUTCOMES) {
                    m.finished().computeIfAbsent(reply(outcome), r -> finishedCounter(pool, processor, outcome));
                }
            }
        }
    }

    /** The commit reply that {@link #outcome} maps to this outcome. */
    private static String reply(String outcome) {
        return switch (outcome) {
            case "SUCCESS" -> "ok";
            case "retry" -> "retry";
            default -> "ended:" + outcome;
        };
    }

    private Counter finishedCounter(String pool, String processor, String outcome) {
        return Counter.builder("pipewright.tasks.finished").tag("pool", pool).tag("processor", processor).tag("outcome", outcome)
                .register(registry);
    }

    /** How long the oldest attempt of each pool running here has run (0 with none), read at each scrape. */
    public void registerOldestAttempt(Collection<String> pools, ToDoubleFunction<String> ageSeconds) {
        for (String pool : pools) {
            Gauge.builder("pipewright.attempts.oldest.age.seconds", pool, ageSeconds).tag("pool", pool)
                    .description("run time so far of the oldest attempt running on this worker").register(registry);
        }
    }

    public AtomicInteger inFlight() {
        return inFlight;
    }

    /** An attempt started, {@code queueWait} after its task became ready (schedule-to-start). */
    public void started(String pool, String processor, Duration queueWait) {
        PoolProcessorMeters m = meters(pool, processor);
        m.started().increment();
        m.queueWait(registry, pool, processor).record(queueWait);
    }

    /** An attempt that ran for {@code runTime} ended with this commit reply (see {@link #ended}). */
    public void finished(String pool, String processor, String commitReply, Duration runTime) {
        meters(pool, processor).duration(registry, pool, processor).record(runTime);
        ended(pool, processor, commitReply);
    }

    // The meters of one pool and processor, built once: each task touches them several times.
    private final Map<String, PoolProcessorMeters> meters = new ConcurrentHashMap<>();

    private PoolProcessorMeters meters(String pool, String processor) {
        return meters.computeIfAbsent(pool + '\n' + processor, k -> newMeters(pool, processor));
    }

    private PoolProcessorMeters newMeters(String pool, String processor) {
        Counter started = Counter.builder("pipewright.tasks.started").tag("pool", pool).tag("processor", processor).register(registry);
        return new PoolProcessorMeters(started, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    }

    /** The timers, built by {@link #registerProcessors} or else on the first attempt. */
    private record PoolProcessorMeters(Counter started, Map<String, Timer> timers, Map<String, Counter> finished) {
        Timer queueWait(MeterRegistry registry, String pool, String processor) {
            return timers.computeIfAbsent("wait", k -> Buckets.TASK.on(Timer.builder("pipewright.task.queue.wait")
                    .tag("pool", pool).tag("processor", processor)).register(registry));
        }

        Timer duration(MeterRegistry registry, String pool, String processor) {
            return timers.computeIfAbsent("run", k -> Buckets.TASK.on(Timer.builder("pipewright.task.duration")
                    .tag("pool", pool).tag("processor", processor)).register(registry));
        }
    }

    /**
     * Counts the end of an attempt by the commit script's reply: {@code ok}, {@code retry},
     * {@code ended:<state>} go to {@code pipewright.tasks.finished}; {@code fenced},
     * {@code handback} and {@code uncommitted} to their own counters.
     */
    public void ended(String pool, String processor, String commitReply) {
        switch (commitReply) {
            case "fenced" -> Counter.builder("pipewright.attempts.fenced").tag("pool", pool).register(registry).increment();
            case "handback" -> Counter.builder("pipewright.attempts.handedback").tag("pool", pool).register(registry).increment();
            case "uncommitted" -> Counter.builder("pipewright.attempts.uncommitted").tag("pool", pool).register(registry).increment();
            default -> meters(pool, processor).finished().computeIfAbsent(commitReply, r -> finishedCounter(pool, processor, outcome(r)))
                    .increment();
        }
    }

    /** The user-facing outcome of a commit reply that the task took. */
    static String outcome(String commitReply) {
        if (commitReply.equals("ok")) {
            return "SUCCESS";
        }
        if (commitReply.equals("retry")) {
            return "retry";
        }
        if (commitReply.startsWith("ended:")) {
            String state = commitReply.substring("ended:".length());
            if (OUTCOMES.contains(state)) {
                return state;
            }
        }
        throw new IllegalArgumentException("unexpected commit reply '" + commitReply + "'");
    }

    public void duplicateDropped(String pool) {
        Counter.builder("pipewright.messages.duplicates").tag("pool", pool).register(registry).increment();
    }

    public void deadLettered(String pool) {
        Counter.builder("pipewright.messages.deadlettered").tag("pool", pool).register(registry).increment();
    }

    @Override
    public void close() {
        jvm.close();
    }
}
