package dev.pipewright.worker.runtime;

import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.state.CommitReply;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.message.StopAttempts;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.worker.config.WorkerConfig;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.ProcessorRegistry;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskResult;
import dev.pipewright.worker.store.Claim;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the runner commits for each way an attempt can go, with a fake commit store and real processors. */
class AttemptRunnerTest {
    private static final String JOB = "mxc4pxrt3ghwyzwbcvqt";
    private static final CountDownLatch BLOCKED = new CountDownLatch(1);

    /** Echoes its config's "value" to every output, at once. */
    static final class Echo implements Processor {
        public String name() {
            return "echo";
        }

        public TaskResult process(TaskContext ctx) {
            byte[] v = String.valueOf(ctx.config().getOrDefault("value", "")).getBytes(StandardCharsets.UTF_8);
            return TaskResult.of(ctx.outputs().stream().collect(java.util.stream.Collectors.toMap(o -> o, o -> v)));
        }

        @Override
        public boolean quick() {
            return true;
        }
    }

    /** Waits until interrupted. */
    static final class Block implements Processor {
        public String name() {
            return "block";
        }

        public TaskResult process(TaskContext ctx) throws InterruptedException {
            BLOCKED.countDown();
            Thread.sleep(60_000);
            return TaskResult.of(Map.of());
        }
    }

    private final LinkedBlockingQueue<StateGateway.Commit> committed = new LinkedBlockingQueue<>();
    private final CommitBatcher commits = new CommitBatcher((shard, batch) -> {
        committed.addAll(batch);
        return CompletableFuture.completedFuture(batch.stream().<CommitReply>map(c -> new CommitReply.Ok()).toList());
    }, Duration.ofSeconds(5), Duration.ofSeconds(5));
    private final Thread committer = Thread.ofPlatform().daemon().start(commits);
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger slotsFreed = new AtomicInteger();
    private final WorkerConfig config = WorkerConfig.from(new Settings(Map.of("PW_WORKER_ID", "w1", "PW_RESOURCES", "cpu=1")));
    private final AttemptRunner runner = new AttemptRunner(config, new ProcessorRegistry(List.of(new Echo(), new Block())), null, commits,
            new WorkerMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), timers);
    private final PoolChannel pc = new PoolChannel("default", Priority.MEDIUM, new FakeChannel().channel, "q", "t", d -> { });

    @AfterEach
    void stop() throws Exception {
        commits.stop();
        committer.join(2000);
        timers.shutdownNow();
        runner.shutdown();
    }

    private static TaskMessage message(String node) {
        return new TaskMessage(1, JOB, 2, node, 1);
    }

    private static Claim.Claimed claimed(String processor, List<String> outputs, Map<String, Object> config, Infra infra) {
        return new Claim.Claimed(new TaskSpec(processor, config, List.of(), outputs, 0), Map.of(), 1, Duration.ofSeconds(10),
                Duration.ZERO, Map.of(), infra);
    }

    private StateGateway.Commit next() throws InterruptedException {
        StateGateway.Commit c = committed.poll(10, TimeUnit.SECONDS);
        assertNotNull(c, "a commit");
        return c;
    }

    @Test
    void aQuickProcessorRunsOnTheCallersThreadAndItsOutputsAreCommitted() throws Exception {
        runner.start(pc, message("n1"), "a1", claimed("echo", List.of("x", "y"), Map.of("value", "{\"k\":1}"), null), slotsFreed::incrementAndGet);
        assertEquals(1, slotsFreed.get(), "the slot is free once the processor returned, before the commit is answered");
        StateGateway.Commit c = next();
        assertEquals(StateGateway.Outcome.OK, c.outcome());
        assertEquals("a1", c.attemptId());
        assertEquals(List.of("x", "y"), c.outputs().keySet().stream().sorted().toList());
        assertEquals("{\"k\":1}", new String(c.outputs().get("x").value(), StandardCharsets.UTF_8));
        assertEquals("application/json", c.outputs().get("x").contentType());
    }

    @Test
    void anOutputLeftWithoutAValueFailsTheAttemptForGood() throws Exception {
        runner.start(pc, message("n2"), "a2", claimed("echo", List.of(), Map.of(), null), slotsFreed::incrementAndGet); // writes nothing: fine
        assertEquals(StateGateway.Outcome.OK, next().outcome());
        Processor none = new Processor() {
            public String name() {
                return "none";
            }

            public TaskResult process(TaskContext ctx) {
                return TaskResult.of(Map.of());
            }
        };
        AttemptRunner r = new AttemptRunner(config, new ProcessorRegistry(List.of(none)), null, commits,
                new WorkerMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), timers);
        r.start(pc, message("n3"), "a3", claimed("none", List.of("x"), Map.of(), null), slotsFreed::incrementAndGet);
        StateGateway.Commit c = next();
        assertEquals(StateGateway.Outcome.FAIL, c.outcome());
        assertFalse(c.retryable());
        assertTrue(c.error().contains("wrote no value for output 'x'"), c.error());
        r.shutdown();
    }

    @Test
    void anOptionalOutputMayBeLeftOutButARequiredOneMayNot() throws Exception {
        Processor onlyX = new Processor() {
            public String name() {
                return "only_x";
            }

            public TaskResult process(TaskContext ctx) {
                Map<String, byte[]> out = new java.util.HashMap<>();
                out.put("x", "v".getBytes(StandardCharsets.UTF_8));
                out.put("maybe", null); // null: left out
                return TaskResult.of(out);
            }
        };
        AttemptRunner r = new AttemptRunner(config, new ProcessorRegistry(List.of(onlyX)), null, commits,
                new WorkerMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), timers);
        TaskSpec optional = new TaskSpec("only_x", Map.of(), List.of(), List.of("x", "maybe", "other"), 0, null, List.of("maybe", "other"), null, null);
        r.start(pc, message("o1"), "o1", new Claim.Claimed(optional, Map.of(), 1, Duration.ofSeconds(10), Duration.ZERO, Map.of(), null),
                slotsFreed::incrementAndGet);
        StateGateway.Commit ok = next();
        assertEquals(StateGateway.Outcome.OK, ok.outcome(), ok.error());
        assertEquals(List.of("x"), List.copyOf(ok.outputs().keySet()), "only what was produced is committed");

        TaskSpec required = new TaskSpec("only_x", Map.of(), List.of(), List.of("x", "maybe", "other"), 0, null, List.of("maybe"), null, null);
        r.start(pc, message("o2"), "o2", new Claim.Claimed(required, Map.of(), 1, Duration.ofSeconds(10), Duration.ZERO, Map.of(), null),
                slotsFreed::incrementAndGet);
        StateGateway.Commit failed = next();
        assertEquals(StateGateway.Outcome.FAIL, failed.outcome());
        assertFalse(failed.retryable());
        assertTrue(failed.error().contains("wrote no value for output 'other'"), failed.error());
        r.shutdown();
    }

    @Test
    void aProcessorThisWorkerDoesNotServeFailsAndAJobTooBigForItIsRefused() throws Exception {
        runner.start(pc, message("n4"), "a4", claimed("nope", List.of("x"), Map.of(), null), slotsFreed::incrementAndGet);
        StateGateway.Commit c = next();
        assertEquals(StateGateway.Outcome.FAIL, c.outcome());
        assertTrue(c.retryable());
        assertTrue(c.error().contains("does not serve processor 'nope'"), c.error());

        runner.start(pc, message("n5"), "a5", claimed("echo", List.of("x"), Map.of(), new Infra(new BigDecimal(4), null, null)), slotsFreed::incrementAndGet);
        StateGateway.Commit refused = next();
        assertEquals(StateGateway.Outcome.REFUSE, refused.outcome());
        assertTrue(refused.error().contains("the job asks for"), refused.error());
        assertEquals(2, slotsFreed.get());
    }

    @Test
    void aStoppedAttemptIsInterruptedAndEndsAsTheStopSays() throws Exception {
        runner.start(pc, message("n6"), "a6", claimed("block", List.of("x"), Map.of(), null), slotsFreed::incrementAndGet);
        assertTrue(BLOCKED.await(10, TimeUnit.SECONDS));
        assertEquals(1, runner.inFlight());
        runner.stopMatching(new StopAttempts(StopAttempts.VERSION, JOB, "n6", null, "cancelled by request"));
        StateGateway.Commit c = next();
        assertEquals(StateGateway.Outcome.INTERRUPTED, c.outcome());
        assertFalse(c.retryable());
        assertEquals("cancelled by request", c.error());
        for (int i = 0; i < 100 && runner.inFlight() > 0; i++) {
            Thread.sleep(20);
        }
        assertEquals(0, runner.inFlight(), "the attempt leaves once its commit is answered");
    }

    private static Claim.Claimed typed(Map<String, Object> config, Map<String, dev.pipewright.protocol.message.OutputType> types) {
        return new Claim.Claimed(new TaskSpec("echo", config, List.of(), List.of("x"), 0, null, null, types, null), Map.of(), 1, Duration.ofSeconds(10),
                Duration.ZERO, Map.of(), null);
    }

    @Test
    void anOutputThatBreaksItsSchemaFailsForGoodAndAFittingOneGetsItsDeclaredType() throws Exception {
        com.fasterxml.jackson.databind.JsonNode schema = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}}}");
        var types = Map.of("x", new dev.pipewright.protocol.message.OutputType("application/vnd.n+json", schema));
        runner.start(pc, message("t1"), "t1", typed(Map.of("value", "{\"n\": \"one\"}"), types), slotsFreed::incrementAndGet);
        StateGateway.Commit bad = next();
        assertEquals(StateGateway.Outcome.FAIL, bad.outcome());
        assertFalse(bad.retryable(), "a schema violation is not retried");
        assertTrue(bad.error().startsWith("output 'x' does not match its schema: /n: "), bad.error());
        assertTrue(bad.outputs().isEmpty());

        runner.start(pc, message("t2"), "t2", typed(Map.of("value", "n=1"), types), slotsFreed::incrementAndGet);
        StateGateway.Commit notJson = next();
        assertEquals(StateGateway.Outcome.FAIL, notJson.outcome());
        assertTrue(notJson.error().startsWith("output 'x' is not JSON (declared application/vnd.n+json)"), notJson.error());

        runner.start(pc, message("t3"), "t3", typed(Map.of("value", "{\"n\": 1}"), types), slotsFreed::incrementAndGet);
        StateGateway.Commit ok = next();
        assertEquals(StateGateway.Outcome.OK, ok.outcome(), ok.error());
        assertEquals("application/vnd.n+json", ok.outputs().get("x").contentType());
    }
}
