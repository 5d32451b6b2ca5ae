package dev.pipewright.worker.runtime;

import dev.pipewright.infra.log.LogSafe;
import dev.pipewright.infra.state.StateGateway;
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
import dev.pipewright.worker.store.CollectedInputs;
import dev.pipewright.worker.store.LargeValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs claimed attempts and commits their ends through the {@link CommitBatcher}. A quick
 * processor ({@link Processor#quick()}) runs on the caller's thread; any other on a virtual
 * thread of its own. The slot an attempt holds is given back when its processor returns; the
 * attempt stays registered (its lease renewed, a stop reaching it) until its commit is answered.
 * Attempts are stopped when their job is stopped (control broadcast or a refused lease renewal),
 * when they pass their timeout, and when the worker shuts down (they are then handed back).
 */
final class AttemptRunner implements AttemptScheduler.Runner {
    private static final Logger LOG = LoggerFactory.getLogger(AttemptRunner.class);

    private final WorkerConfig config;
    private final ProcessorRegistry processors;
    private final AttemptStore store;
    private final CommitBatcher commits;
    private final WorkerMetrics metrics;
    private final ScheduledExecutorService timers;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final LargeValues large;
    private final CacheRecorder cache;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    /** Set when the grace period is over: every attempt, including one that registers from now on, is handed back. */
    private volatile boolean handingBack;

    /** A running attempt. */
    static final class Running {
        final String attemptId;
        final String pool;
        final TaskMessage message;
        final Duration lease;
        final long startedNanos = System.nanoTime();
        /** The thread to interrupt on a stop; null for a quick processor's run. */
        volatile Thread thread;
        volatile long nextRenewNanos;
        volatile StopReason stopReason;
        volatile String stopDetail;
        volatile ScheduledFuture<?> timeout;
        /** Frees what the delivery holds (its slot) once the processor has run. */
        Runnable done = () -> { };

        Running(String attemptId, String pool, TaskMessage message, Duration lease) {
            this.attemptId = attemptId;
            this.pool = pool;
            this.message = message;
            this.lease = lease;
            this.nextRenewNanos = System.nanoTime() + lease.toNanos() / 3;
        }
    }

    AttemptRunner(WorkerConfig config, ProcessorRegistry processors, AttemptStore store, CommitBatcher commits,
                  WorkerMetrics metrics, ScheduledExecutorService timers) {
        this.config = config;
        this.large = LargeValues.of(config.common().objects());
        this.cache = new CacheRecorder(store);
        this.processors = processors;
        this.store = store;
        this.commits = commits;
        this.metrics = metrics;
        this.timers = timers;
    }

    int inFlight() {
        return running.size();
    }

    /** Seconds the oldest attempt of the pool running here has run so far; 0 when none runs. */
    double oldestAttemptSeconds(String pool) {
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
     * Ends an attempt that cannot run (an input missing): its slot is free at once, the commit
     * fails it for good.
     */
    @Override
    public void failMissing(String pool, TaskMessage message, String attemptId, Claim.MissingInput missing, Runnable done) {
        done.run();
        commit(message, attemptId, StateGateway.Outcome.FAIL, "input '" + missing.dataNode() + "' has no value", false)
                .thenAccept(reply -> metrics.ended(pool, missing.processor(), reply));
    }

    /** Starts a claimed attempt: at once for a quick processor, else on a virtual thread of its own. */
    @Override
    public void start(PoolChannel pc, TaskMessage message, String attemptId, Claim.Claimed claimed, Runnable done) {
        String pool = pc.pool;
        TaskSpec spec = claimed.spec();
        Processor processor = processors.find(spec);
        if (processor == null) {
            done.run();
            commit(message, attemptId, StateGateway.Outcome.FAIL, spec.module() != null
                    ? "worker " + config.workerId() + " does not run modules (PW_MODULES is off)"
                    : "worker " + config.workerId() + " does not serve processor '" + spec.processor() + "'", true)
                    .thenAccept(reply -> metrics.ended(pool, spec.processor(), reply));
            return;
        }
        if (claimed.infra() != null && !config.resources().fits(claimed.infra())) {
            // a pool may mix worker sizes: hand the task back for a worker of the pool that offers it
            // (not a failure, not a retry; the overseer re-dispatches it, a bounded number of times)
            String why = "worker " + config.workerId() + " offers " + config.resources().describe() + ", the job asks for "
                    + claimed.infra().toMap();
            LOG.info("refusing {}/{}: {}", message.job(), message.node(), LogSafe.text(why));
            done.run();
            commit(message, attemptId, StateGateway.Outcome.REFUSE, why, true)
                    .thenAccept(reply -> metrics.ended(pool, spec.processor(), reply));
            return;
        }
        metrics.started(pool, spec.processor(), claimed.queueWait());
        metrics.inFlight().incrementAndGet();
        pc.inFlight.incrementAndGet();
        Running r = new Running(attemptId, pool, message, claimed.lease());
        r.done = done;
        running.put(attemptId, r);
        if (handingBack) {
            // claimed just as the grace period ended, after stop() looked at the running attempts
            stop(r, StopReason.SHUTDOWN, "handed back: worker " + config.workerId() + " shut down");
        }
        if (processor.quick() && !LargeValues.anyRef(claimed.inputs()) && !CollectedInputs.any(claimed.inputs())
                && !CacheRecorder.looksUp(spec, processor)) {
            run(pc, r, processor, spec, claimed);
        } else {
            executor.execute(() -> {
                r.thread = Thread.currentThread();
                if (r.stopReason != null) {
                    r.thread.interrupt(); // stopped before this thread took it
                }
                if (spec.timeoutMs() > 0) {
                    r.timeout = timers.schedule(() -> stop(r, StopReason.TIMEOUT, "attempt exceeded its timeout (" + spec.timeoutMs() + " ms)"),
                            spec.timeoutMs(), TimeUnit.MILLISECONDS);
                }
                try {
                    run(pc, r, processor, spec, claimed);
                } finally {
                    r.thread = null;
                    Thread.interrupted();
                }
            });
        }
    }

    private void run(PoolChannel pc, Running r, Processor processor, TaskSpec spec, Claim.Claimed claimed) {
        TaskMessage message = r.message;
        long start = System.nanoTime();
        if (CacheRecorder.looksUp(spec, processor) && r.stopReason == null) {
            CacheRecorder.Found found = null;
            try {
                found = cache.lookup(spec, claimed.inputs());
            } catch (Exception e) {
                LOG.warn("{}/{}: cannot read the memoised result, running it: {}", message.job(), LogSafe.text(message.node()), e.toString());
            }
            if (found != null) {
                commitCached(pc, r, spec, found, start);
                return;
            }
        }
        StateGateway.Outcome outcome;
        String failure = null;
        boolean retryable = true;
        TaskResult result = null;
        try {
            // an exec command reads a referenced input as a file streamed from the object store; a Java
            // processor gets it in memory (up to PW_REF_LOAD_MAX)
            Map<String, byte[]> claimedInputs = claimed.inputs();
            if (CollectedInputs.any(claimedInputs)) {
                // a collecting node: each collected input is its items' values, read now as one JSON array
                claimedInputs = CollectedInputs.expand(message.job(), claimedInputs, store, large);
            }
            Map<String, byte[]> inputs = processor.readsReferences() ? claimedInputs : large.load(claimedInputs);
            TaskContext ctx = new TaskContext(message.job(), message.node(), claimed.attempt(), inputs,
                    spec.outputs(), spec.config() == null ? Map.of() : spec.config(), claimed.parameters(),
                    line -> store.log(message, claimed.attempt(), line), java.util.Set.copyOf(spec.optionalOutputs()));
            // what the processor logs through SLF4J on this thread goes into the attempt's log too
            try (ProcessorLogCapture.Scope ignored = ProcessorLogCapture.bind(r.attemptId, message.job(), message.node(), ctx.log())) {
                result = processor.process(ctx);
            }
            if (result == null) {
                throw TaskFailure.permanent("processor '" + spec.processor() + "' returned no result");
            }
            for (String out : spec.outputs()) {
                // an optional output may be left out: the tasks that need it are skipped
                if (result.outputs().get(out) == null && !ctx.isOptional(out)) {
                    throw TaskFailure.permanent("processor '" + spec.processor() + "' wrote no value for output '" + out
                            + "' (declare the data node optional: true if it may be left unproduced)");
                }
            }
            if (spec.outputTypes() != null) {
                // before large values are uploaded: a Java processor's outputs are all still in memory here
                OutputChecks.check(spec.outputTypes(), result.outputs());
            }
            if (!ctx.optionalOutputs().isEmpty()) {
                // a null value is an optional output left out: nothing to commit for it
                Map<String, byte[]> produced = new java.util.LinkedHashMap<>();
                result.outputs().forEach((name, value) -> {
                    if (value != null) {
                        produced.put(name, value);
                    }
                });
                result = new TaskResult(produced);
            }
            if (!processor.readsReferences()) {
                // a value over PW_INLINE_MAX goes to the object store (when there is one); small ones are untouched
                result = new TaskResult(large.store(message.job(), message.node(), claimed.attempt(), result.outputs()));
            }
        } catch (TaskFailure f) {
            failure = f.getMessage();
            retryable = f.retryable();
        } catch (Exception e) {
            failure = e instanceof InterruptedException ? "interrupted" : e.toString();
        } catch (Throwable t) {
            LOG.error("processor {} of {}/{} threw", LogSafe.text(spec.processor()), message.job(), LogSafe.text(message.node()), t);
            failure = t.toString();
        }
        ScheduledFuture<?> timeout = r.timeout;
        if (timeout != null) {
            timeout.cancel(false);
        }
        String error;
        StopReason stopped = r.stopReason;
        if (stopped != null) {
            error = r.stopDetail;
            outcome = switch (stopped) {
                case TIMEOUT -> StateGateway.Outcome.TIMEOUT;
                case SHUTDOWN -> StateGateway.Outcome.HANDBACK;
                case STOPPED -> StateGateway.Outcome.INTERRUPTED;
            };
            retryable = stopped != StopReason.STOPPED;
        } else if (failure != null) {
            error = failure;
            outcome = StateGateway.Outcome.FAIL;
        } else {
            error = "";
            outcome = StateGateway.Outcome.OK;
        }
        Map<String, StateGateway.Output> stored = outcome == StateGateway.Outcome.OK ? AttemptStore.outputs(result.outputs()) : Map.of();
        Map<String, StateGateway.Output> outputs = outcome == StateGateway.Outcome.OK && spec.outputTypes() != null
                ? OutputChecks.declared(spec.outputTypes(), stored) : stored;
        Map<String, byte[]> produced = result == null ? null : result.outputs();
        if (outcome != StateGateway.Outcome.OK && produced != null) {
            large.discard(produced); // uploaded, but never to be committed
        }
        r.done.run();
        int shard = message.shard();
        boolean memoise = outcome == StateGateway.Outcome.OK && CacheRecorder.applies(spec, processor);
        commits.submit(shard, new StateGateway.Commit(message.job(), message.node(), r.attemptId, outcome, error, retryable, outputs))
                .whenComplete((reply, e) -> {
                    String word = e == null ? reply : "uncommitted";
                    if (memoise && "ok".equals(reply)) {
                        cache.record(message, spec, claimed.inputs(), outputs);
                    }
                    if ("fenced".equals(reply) && produced != null && !produced.isEmpty()) {
                        // the attempt no longer held its task: its objects are no one's (an unknown answer keeps them)
                        Thread.ofVirtual().start(() -> large.discard(produced));
                    }
                    running.remove(r.attemptId);
                    pc.inFlight.decrementAndGet();
                    metrics.inFlight().decrementAndGet();
                    metrics.finished(r.pool, spec.processor(), word, Duration.ofNanos(System.nanoTime() - start));
                });
    }

    /** Ends an attempt whose result was memoised: the stored outputs are committed, the processor never ran. */
    private void commitCached(PoolChannel pc, Running r, TaskSpec spec, CacheRecorder.Found found, long start) {
        ScheduledFuture<?> timeout = r.timeout;
        if (timeout != null) {
            timeout.cancel(false);
        }
        r.done.run();
        TaskMessage message = r.message;
        commits.submit(message.shard(), new StateGateway.Commit(message.job(), message.node(), r.attemptId, StateGateway.Outcome.CACHED,
                        found.job(), false, found.outputs()))
                .whenComplete((reply, e) -> {
                    running.remove(r.attemptId);
                    pc.inFlight.decrementAndGet();
                    metrics.inFlight().decrementAndGet();
                    metrics.finished(r.pool, spec.processor(), e == null ? reply : "uncommitted", Duration.ofNanos(System.nanoTime() - start));
                });
    }

    private java.util.concurrent.CompletableFuture<String> commit(TaskMessage message, String attemptId, StateGateway.Outcome outcome,
                                                                  String error, boolean retryable) {
        return commits.submit(message.shard(), new StateGateway.Commit(message.job(), message.node(), attemptId, outcome, error,
                retryable, Map.of()));
    }

    void stop(Running r, StopReason reason, String detail) {
        if (r.stopReason == null) {
            r.stopDetail = detail;
            r.stopReason = reason;
            LOG.info("stopping attempt {} of {}/{}: {}", r.attemptId, r.message.job(), r.message.node(), detail);
            Thread t = r.thread;
            if (t != null) {
                t.interrupt();
            }
        }
    }

    /** Applies a control broadcast that stops attempts. */
    void stopMatching(StopAttempts stop) {
        for (Running r : running.values()) {
            if (stop.matches(r.message.job(), r.message.node(), r.attemptId)) {
                stop(r, StopReason.STOPPED, stop.reason() == null ? "stopped" : stop.reason());
            }
        }
    }

    void renewDueLeases() {
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

    /** Hands every running attempt back (the grace period is over). */
    void handBackAll() {
        handingBack = true;
        LOG.warn("{} attempts still running; handing them back", running.size());
        running.values().forEach(r -> stop(r, StopReason.SHUTDOWN, "handed back: worker " + config.workerId() + " shut down"));
    }

    void shutdown() throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }
}
