package dev.pipewright.overseer.metrics;

import dev.pipewright.infra.metrics.Buckets;
import dev.pipewright.infra.metrics.JvmMeters;
import dev.pipewright.infra.state.OutboxEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The overseer's meters, all registered here (and the JVM's, {@link JvmMeters}); tags are bounded:
 * pool, processor, outcome, reason, shard — never a job or task id.
 *
 * <ul>
 *   <li>{@code pipewright.tasks.dispatched{pool,processor}}: task messages RabbitMQ confirmed.</li>
 *   <li>{@code pipewright.tasks.ended{pool,outcome,reason}}: tasks the overseer's own scripts ended
 *   (or sent to a retry: outcome {@code retry}) without a worker's commit — queue and attempt
 *   timeouts, lost leases, dead letters, cancelled queued tasks, skipped descendants. Together with
 *   the workers' {@code pipewright.tasks.finished} every task end is counted once.</li>
 *   <li>{@code pipewright.jobs.submitted}, {@code pipewright.jobs.finished{outcome}}: counted where
 *   the scripts report the job was created and reached its end, so each job once.</li>
 *   <li>{@code pipewright.job.duration{pipeline,status}}: a job from its submission to its end, by
 *   its pipeline and the status it ended with.</li>
 *   <li>{@code pipewright.outbox.delay}, {@code pipewright.events.delay}: how long an outbox entry
 *   waited for its publish to be confirmed, and a completion event for its release (the lag the
 *   {@code pipewright.outbox.lag} / {@code pipewright.events.lag} backlog gauges count).</li>
 * </ul>
 *
 * <p>Counters whose tag values are known up front are registered at zero (the job outcomes, and for
 * every pool the probes see, its dead letters and the task ends the scripts can report): Prometheus's
 * {@code increase()} needs a sample before the first event to see it, and a panel on a series that
 * does not exist yet shows no data. The timers use the explicit {@link Buckets}.
 */
public final class OverseerMetrics implements AutoCloseable {
    /** Job outcomes registered at zero, so that a rate of them reads 0 rather than nothing. */
    public static final List<String> JOB_OUTCOMES = List.of("SUCCESS", "FAILED", "CANCELLED");
    /** Outcomes of {@code pipewright.tasks.ended}: the state a task ended in, or {@code retry}. */
    public static final List<String> TASK_END_OUTCOMES = List.of("FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED", "retry");
    /** Reasons of {@code pipewright.tasks.ended} (the codes the Lua scripts report). */
    public static final List<String> TASK_END_REASONS = List.of("queue_timeout", "attempt_timeout", "lease_lost", "dead_letter",
            "cancelled", "deadline", "upstream_failed", "refused", "set_aside", "not_produced", "upstream_skipped");
    /**
     * The (outcome, reason) pairs of {@code pipewright.tasks.ended} the overseer can report, registered
     * at zero for every pool: a queue timeout ends a task TIMED_OUT; an attempt timeout, a lost lease
     * or a worker's refusal ends it or sends it to a retry; a dead letter fails it; a cancellation or
     * the job's deadline cancels it; a failed parent skips it; an event or timer that kept failing fails it (set aside); an
     * input its producer left unproduced (an optional output) skips it, and a skipped parent skips it.
     */
    public static final List<List<String>> TASK_ENDS = List.of(
            List.of("TIMED_OUT", "queue_timeout"), List.of("TIMED_OUT", "attempt_timeout"), List.of("retry", "attempt_timeout"),
            List.of("FAILED", "lease_lost"), List.of("TIMED_OUT", "lease_lost"), List.of("retry", "lease_lost"),
            List.of("FAILED", "refused"), List.of("retry", "refused"), List.of("FAILED", "dead_letter"),
            List.of("CANCELLED", "cancelled"), List.of("CANCELLED", "deadline"), List.of("SKIPPED", "upstream_failed"),
            List.of("FAILED", "set_aside"), List.of("SKIPPED", "not_produced"), List.of("SKIPPED", "upstream_skipped"));

    /** Vert.x's timer of the API's responses (vertx-micrometer-metrics), exported with {@link Buckets#HANDOVER}. */
    public static final String HTTP_SERVER_RESPONSE_TIME = "vertx.http.server.response.time";

    private final MeterRegistry registry;
    private final JvmMeters jvm;
    private final Counter events;
    private final Counter duplicateEvents;
    private final Counter redispatched;
    private final Counter retries;
    private final Counter submitted;
    private final Timer releaseLatency;
    private final Timer outboxDelay;
    private final Timer eventDelay;
    private final Counter scheduleSubmitted;
    private final Counter scheduleRefused;
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
    private final Map<String, Counter> dispatchedCounters = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> shardEvents = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicLong> shardServed = new ConcurrentHashMap<>();
    private final Map<String, Timer> jobDurations = new ConcurrentHashMap<>();
    private final Set<String> poolsRegistered = ConcurrentHashMap.newKeySet();

    public OverseerMetrics(MeterRegistry registry) {
        this.registry = registry;
        // before any meter: Vert.x's HTTP server response time gets buckets, so the dashboard can show its quantiles
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getName().equals(HTTP_SERVER_RESPONSE_TIME)) {
                    return DistributionStatisticConfig.builder().serviceLevelObjectives(Buckets.HANDOVER.nanos()).build().merge(config);
                }
                return config;
            }
        });
        this.jvm = JvmMeters.bindTo(registry);
        this.events = Counter.builder("pipewright.events.processed").register(registry);
        this.duplicateEvents = Counter.builder("pipewright.events.duplicates").register(registry);
        this.redispatched = Counter.builder("pipewright.sweeper.redispatches").register(registry);
        this.retries = Counter.builder("pipewright.tasks.retries").register(registry);
        this.submitted = Counter.builder("pipewright.jobs.submitted").register(registry);
        jobsRemoved(registry, "expired");
        jobsRemoved(registry, "deleted");
        for (String outcome : JOB_OUTCOMES) {
            Counter.builder("pipewright.jobs.finished").tag("outcome", outcome).register(registry);
        }
        this.releaseLatency = Buckets.HANDOVER.on(Timer.builder("pipewright.release.latency")).register(registry);
        this.outboxDelay = Buckets.HANDOVER.on(Timer.builder("pipewright.outbox.delay")
                .description("outbox entry appended to its publish confirmed")).register(registry);
        this.eventDelay = Buckets.HANDOVER.on(Timer.builder("pipewright.events.delay")
                .description("completion event appended to its release applied")).register(registry);
        // a dead letter whose pool is not known is counted under "unknown" (DeadLetterConsumer)
        registerPool("unknown");
        this.scheduleSubmitted = scheduleFired(registry, "submitted");
        this.scheduleRefused = scheduleFired(registry, "refused");
    }

    private static Counter scheduleFired(MeterRegistry registry, String outcome) {
        return Counter.builder("pipewright.schedule.fired").description("fires of pipeline schedules: the job submitted, or refused at submission")
                .tag("outcome", outcome).register(registry);
    }

    /**
     * Registers at zero the per-pool counters of rare events: dead letters and every task end the
     * overseer can report ({@link #TASK_ENDS}). Called for each pool the probes see, so a pool
     * shows on the dashboard and in the alerts before its first such event; cheap when repeated.
     */
    public void registerPool(String pool) {
        if (!poolsRegistered.add(pool)) {
            return;
        }
        Counter.builder("pipewright.messages.deadlettered").tag("pool", pool).register(registry);
        for (List<String> end : TASK_ENDS) {
            Counter.builder("pipewright.tasks.ended").tag("pool", pool).tag("outcome", end.get(0)).tag("reason", end.get(1))
                    .register(registry);
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A task message RabbitMQ confirmed; {@code appendedAtMillis} is when its outbox entry was written. */
    public void dispatched(OutboxEntry entry, long appendedAtMillis, long nowMillis) {
        String processor = entry.processor() == null || entry.processor().isEmpty() ? "unknown" : entry.processor();
        // one lookup per dispatched task: the meter is kept, not built again each time
        dispatchedCounters.computeIfAbsent(entry.poolName() + '\n' + processor, k -> Counter.builder("pipewright.tasks.dispatched")
                .description("task messages confirmed by RabbitMQ").tag("pool", entry.poolName()).tag("processor", processor)
                .register(registry)).increment();
        outboxDelay.record(Duration.ofMillis(Math.max(0, nowMillis - appendedAtMillis)));
    }

    public void event(boolean duplicate, long appendedAtMillis, long nowMillis) {
        events.increment();
        if (duplicate) {
            duplicateEvents.increment();
        }
        eventDelay.record(Duration.ofMillis(Math.max(0, nowMillis - appendedAtMillis)));
    }

    /** Events of one shard this overseer applied (with {@link #shardServed}: which overseer handled how much of the load). */
    public void shardEvents(int shard, int count) {
        shardEvents.computeIfAbsent(shard, k -> Counter.builder("pipewright.shard.events")
                .description("completion events this overseer applied, by shard").tag("shard", Integer.toString(k)).register(registry))
                .increment(count);
    }

    /** Whether this overseer serves the shard now (1) or not (0); {@code overseer} is its lease id. */
    public void shardServed(int shard, String overseer, boolean served) {
        shardServed.computeIfAbsent(shard, k -> {
            AtomicLong holder = new AtomicLong();
            Gauge.builder("pipewright.shard.served", holder, AtomicLong::get)
                    .description("1 while this overseer holds the shard's lease and serves it").tag("shard", Integer.toString(k))
                    .tag("overseer", overseer).register(registry);
            return holder;
        }).set(served ? 1 : 0);
    }

    /** An item set aside because it kept failing: {@code kind} is store, event, timer or lease. */
    public void setAside(String kind) {
        Counter.builder("pipewright.shard.set_aside").description("events, timers and lease expiries set aside after failing")
                .tag("kind", kind).register(registry).increment();
    }

    public void redispatched() {
        redispatched.increment();
    }

    public void retried() {
        retries.increment();
    }

    /** An ended job removed: {@code expired} (its retention passed) or {@code deleted} (by request). */
    public void jobRemoved(String reason) {
        jobsRemoved(registry, reason).increment();
    }

    private static Counter jobsRemoved(MeterRegistry registry, String reason) {
        return Counter.builder("pipewright.jobs.removed").description("ended jobs removed: expired after their retention, or deleted")
                .tag("reason", reason).register(registry);
    }

    /**
     * A job of {@code pipeline} was submitted. Its duration timers (one per final status) exist from
     * then on, at zero, so that rate() and increase() see the first job of the pipeline to end after
     * an overseer start, not only the ones after it.
     */
    public void jobSubmitted(String pipeline) {
        submitted.increment();
        for (String status : JOB_OUTCOMES) {
            jobDuration(pipeline, status);
        }
    }

    private Timer jobDuration(String pipeline, String status) {
        return jobDurations.computeIfAbsent(pipeline + '\n' + status, k -> Buckets.JOB.on(Timer.builder("pipewright.job.duration")
                .description("a job from its submission to its end").tag("pipeline", pipeline).tag("status", status))
                .register(registry));
    }

    /** Counts what a script reported it ended: tasks ended without a worker, and jobs. */
    public void ended(OutboxEntry.Ends ends) {
        for (OutboxEntry.TaskEnd t : ends.tasks()) {
            taskEnded(t.pool(), t.state(), t.reason(), t.count());
        }
        ends.jobs().forEach((status, n) -> Counter.builder("pipewright.jobs.finished").tag("outcome", status)
                .register(registry).increment(n));
        for (OutboxEntry.JobEnd j : ends.jobEnds()) {
            Timer timer = jobDuration(j.pipeline(), j.status());
            for (int i = 0; i < j.count(); i++) {
                timer.record(Duration.ofMillis(Math.max(0, j.millis())));
            }
        }
    }

    public void taskEnded(String pool, String outcome, String reason, int count) {
        Counter.builder("pipewright.tasks.ended").tag("pool", pool).tag("outcome", outcome).tag("reason", reason)
                .register(registry).increment(count);
    }

    /** From a completion event being appended to its children's task messages being confirmed by RabbitMQ. */
    public void releaseLatency(long millis) {
        releaseLatency.record(Duration.ofMillis(Math.max(0, millis)));
    }

    /** A schedule fired: its job was submitted ({@code true}) or refused by the submission checks. */
    public void scheduleFired(boolean submitted) {
        (submitted ? scheduleSubmitted : scheduleRefused).increment();
    }

    /** A message reached the dead-letter queue; {@code pool} is its task's pool or its queue's ("unknown" when neither is known). */
    public void deadLettered(String pool) {
        Counter.builder("pipewright.messages.deadlettered").tag("pool", pool).register(registry).increment();
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

    @Override
    public void close() {
        jvm.close();
    }
}
