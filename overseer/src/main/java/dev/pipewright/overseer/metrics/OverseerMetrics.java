package dev.pipewright.overseer.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The overseer's own meters, registered in one place; tags are bounded. */
public final class OverseerMetrics {
    private final MeterRegistry registry;
    private final Counter dispatched;
    private final Counter events;
    private final Counter duplicateEvents;
    private final Counter redispatched;
    private final Counter retries;

    public OverseerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.dispatched = Counter.builder("pipewright.tasks.dispatched").description("task messages confirmed by RabbitMQ").register(registry);
        this.events = Counter.builder("pipewright.events.processed").register(registry);
        this.duplicateEvents = Counter.builder("pipewright.events.duplicates").register(registry);
        this.redispatched = Counter.builder("pipewright.sweeper.redispatches").register(registry);
        this.retries = Counter.builder("pipewright.tasks.retries").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void dispatched(int n) {
        dispatched.increment(n);
    }

    public void event(boolean duplicate) {
        events.increment();
        if (duplicate) {
            duplicateEvents.increment();
        }
    }

    public void redispatched() {
        redispatched.increment();
    }

    public void retried() {
        retries.increment();
    }

    public void jobSubmitted() {
        Counter.builder("pipewright.jobs.submitted").register(registry).increment();
    }
}
