package dev.pipewright.overseer.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The overseer's own meters, registered in one place; tags are bounded. */
public final class OverseerMetrics {
    private final MeterRegistry registry;
    private final Counter dispatched;
    private final Counter events;
    private final Counter duplicateEvents;
    private final Counter redispatched;
    private final Counter retries;
    private final Counter deadLettered;
    private final Timer releaseLatency;
    private final Counter scheduleSubmitted;
    private final Counter scheduleRefused;
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

    public OverseerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.dispatched = Counter.builder("pipewright.tasks.dispatched").description("task messages confirmed by RabbitMQ").register(registry);
        this.events = Counter.builder("pipewright.events.processed").register(registry);
        this.duplicateEvents = Counter.builder("pipewright.events.duplicates").register(registry);
        this.redispatched = Counter.builder("pipewright.sweeper.redispatches").register(registry);
        this.retries = Counter.builder("pipewright.tasks.retries").register(registry);
        this.deadLettered = Counter.builder("pipewright.messages.deadlettered").tag("pool", "any").register(registry);
        this.releaseLatency = Timer.builder("pipewright.release.latency").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        this.scheduleSubmitted = scheduleFired(registry, "submitted");
        this.scheduleRefused = scheduleFired(registry, "refused");
    }

    private static Counter scheduleFired(MeterRegistry registry, String outcome) {
        return Counter.builder("pipewright.schedule.fired").description("fires of pipeline schedules: the job submitted, or refused at submission")
                .tag("outcome", outcome).register(registry);
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

    public void jobFinished(String outcome) {
        Counter.builder("pipewright.jobs.finished").tag("outcome", outcome).register(registry).increment();
    }

    /** From a completion event being appended to its children's task messages being confirmed by RabbitMQ. */
    public void releaseLatency(long millis) {
        releaseLatency.record(Duration.ofMillis(Math.max(0, millis)));
    }

    /** A schedule fired: its job was submitted ({@code true}) or refused by the submission checks. */
    public void scheduleFired(boolean submitted) {
        (submitted ? scheduleSubmitted : scheduleRefused).increment();
    }

    public void deadLettered() {
        deadLettered.increment();
    }

    /** A gauge per tag value, set by the probes. */
    public void gauge(String name, String tag, String value, long reading) {
        gauges.computeIfAbsent(name + "|" + tag + "|" + value, k -> {
            AtomicLong holder = new AtomicLong();
            Gauge.builder(name, holder, AtomicLong::get).tag(tag, value).register(registry);
            return holder;
        }).set(reading);
    }

    public void gauge(String name, long reading) {
        gauges.computeIfAbsent(name, k -> {
            AtomicLong holder = new AtomicLong();
            Gauge.builder(name, holder, AtomicLong::get).register(registry);
            return holder;
        }).set(reading);
    }
}
