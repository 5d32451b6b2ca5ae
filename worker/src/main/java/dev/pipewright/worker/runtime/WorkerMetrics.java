package dev.pipewright.worker.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The worker's meters, all registered here; tags are bounded (pool, processor, outcome). */
public final class WorkerMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger inFlight = new AtomicInteger();

    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("pipewright.worker.inflight", inFlight);
    }

    /**
     * Registers the per-pool counters of rare events at zero, so that a dashboard panel or alert on
     * them reads 0 rather than nothing until the first one happens.
     */
    public void registerPools(java.util.Collection<String> pools) {
        for (String pool : pools) {
            Counter.builder("pipewright.messages.duplicates").tag("pool", pool).register(registry);
            Counter.builder("pipewright.attempts.fenced").tag("pool", pool).register(registry);
            Counter.builder("pipewright.messages.deadlettered").tag("pool", pool).register(registry);
        }
    }

    public AtomicInteger inFlight() {
        return inFlight;
    }

    /** An attempt started, {@code queueWait} after its task became ready (schedule-to-start). */
    public void started(String pool, String processor, Duration queueWait) {
        Counter.builder("pipewright.tasks.started").tag("pool", pool).tag("processor", processor).register(registry).increment();
        Timer.builder("pipewright.task.queue.wait").tag("pool", pool).tag("processor", processor)
                .publishPercentileHistogram().register(registry).record(queueWait);
    }

    public void finished(String pool, String processor, String outcome, Duration runTime) {
        Counter.builder("pipewright.tasks.finished").tag("pool", pool).tag("processor", processor).tag("outcome", outcome)
                .register(registry).increment();
        Timer.builder("pipewright.task.duration").tag("pool", pool).tag("processor", processor)
                .publishPercentileHistogram().register(registry).record(runTime);
    }

    public void duplicateDropped(String pool) {
        Counter.builder("pipewright.messages.duplicates").tag("pool", pool).register(registry).increment();
    }

    public void fenced(String pool) {
        Counter.builder("pipewright.attempts.fenced").tag("pool", pool).register(registry).increment();
    }

    public void deadLettered(String pool) {
        Counter.builder("pipewright.messages.deadlettered").tag("pool", pool).register(registry).increment();
    }
}
