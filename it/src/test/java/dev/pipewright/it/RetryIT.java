package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attempts are counted, back-off delays (fixed, linear,
 * exponential with a cap, jitter) are respected, a non-retryable failure is not retried, exec
 * exit codes map to retryable or final failures, and the delay is a durable timer in the
 * overseer's Redis timer set — never a message waiting in (or bouncing through) the queue.
 */
class RetryIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(40);

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("pw-retry-it-");
        Path processors = dir.resolve("processors.yaml");
        Files.writeString(processors, """
                processors:
                  exit3:
                    command: [sh, -c, 'echo "bad input" >&2; exit 3']
                    permanentExitCodes: [3]
                  exit75:
                    command: [sh, -c, 'echo "try later" >&2; exit 75']
                    permanentExitCodes: [3]
                  only75:
                    command: [sh, -c, 'exit 1']
                    retryableExitCodes: [75]
                  slowfail:
                    command: [sh, -c, 'sleep 2; echo "gave up" >&2; exit 1']
                """);
        cluster = Cluster.builder().workers(1).concurrency(8).workerMetrics(true).processorsFile(processors).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** What a poll saw of one attempt that ended in RETRY_WAIT. */
    record Wait(long startedUs, long endedUs, Double timerMs) {
    }

    @Test
    void backOffDelaysFollowEachPolicyAndLiveInTheTimerSet() {
        cluster.postPipeline("""
                name: backoff
                dataNodes: {seed: {}, f: {}, l: {}, e: {}, j: {}}
                processNodes:
                  fixed:
                    input: [seed]
                    output: [f]
                    processor: fail
                    config: {times: 2}
                    retries: {max: 3, backoff: fixed, initial: 300ms, jitter: 0}
                  linear:
                    input: [seed]
                    output: [l]
                    processor: fail
                    config: {times: 2}
                    retries: {max: 3, backoff: linear, initial: 300ms, jitter: 0}
                  expo:
                    input: [seed]
                    output: [e]
                    processor: fail
                    config: {times: 3}
                    retries: {max: 3, backoff: exponential, initial: 200ms, maxDelay: 500ms, jitter: 0}
                  jitter:
                    input: [seed]
                    output: [j]
                    processor: fail
                    config: {times: 2}
                    retries: {max: 2, backoff: fixed, initial: 1s, jitter: 0.5}
                """);
        Map<String, List<Long>> delays = Map.of(
                "fixed", List.of(300L, 300L),
                "linear", List.of(300L, 600L),
                "expo", List.of(200L, 400L, 500L));
        String job = cluster.submit("backoff", """
                {"inputs": {"seed": "s"}}""");

        RedisCommands<String, String> redis = cluster.redis();
        String timers = cluster.keys().timers(cluster.shardOf(job));
        Map<String, Map<Integer, Wait>> seen = new HashMap<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!cluster.job(job).path("finished").asBoolean()) {
            assertTrue(System.nanoTime() < deadline, "the job did not finish in time");
            for (String node : List.of("fixed", "linear", "expo", "jitter")) {
                var st = redis.hmget(cluster.taskKey(job, node), "state", "attempts", "started", "ended");
                if ("RETRY_WAIT".equals(st.get(0).getValueOrElse(null))) {
                    Double timer = redis.zscore(timers, "r|" + job + "|" + node);
                    seen.computeIfAbsent(node, n -> new TreeMap<>()).putIfAbsent(Integer.parseInt(st.get(1).getValue()),
                            new Wait(Long.parseLong(st.get(2).getValue()), Long.parseLong(st.get(3).getValue()), timer));
                }
            }
            Cluster.sleep(10);
        }
        JsonNode view = cluster.job(job);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);

        for (String node : List.of("fixed", "linear", "expo", "jitter")) {
            JsonNode task = Cluster.task(view, node);
            Map<Integer, Wait> waits = seen.getOrDefault(node, Map.of());
            int retries = node.equals("expo") ? 3 : 2;
            assertEquals(retries + 1, task.path("attempts").asInt(), node + ": " + task);
            assertEquals(retries, waits.size(), node + ": one retry wait per failed attempt: " + waits);
            for (int attempt = 1; attempt <= retries; attempt++) {
                Wait w = waits.get(attempt);
                assertNotNull(w, node + " attempt " + attempt + " waited: " + waits);
                assertNotNull(w.timerMs(), node + " attempt " + attempt + ": the retry is a timer in " + timers);
                long delayMs = Math.round(w.timerMs()) - w.endedUs() / 1000;
                if (node.equals("jitter")) {
                    assertTrue(delayMs >= 500 && delayMs <= 1500, "jittered delay " + delayMs + " ms is within 1 s ± 50%");
                } else {
                    assertEquals(delays.get(node).get(attempt - 1), delayMs, node + " delay before retry " + attempt);
                }
                long nextStartedUs = attempt < retries ? waits.get(attempt + 1).startedUs() : task.path("started_us").asLong();
                long waitedMs = (nextStartedUs - w.endedUs()) / 1000;
                assertTrue(waitedMs >= delayMs, node + " retry " + attempt + " started after " + waitedMs + " ms, before its delay " + delayMs);
                assertTrue(waitedMs <= delayMs + 1500, node + " retry " + attempt + " started only after " + waitedMs + " ms (delay " + delayMs + ")");
            }
        }
    }

    @Test
    void aWaitingRetryIsADurableTimerAndNoMessageInTheQueue() throws Exception {
        cluster.postPipeline("""
                name: durable-retry
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  once:
                    input: [seed]
                    output: [x]
                    processor: fail
                    config: {times: 1}
                    retries: {max: 1, backoff: fixed, initial: 3s, jitter: 0}
                """);
        double retries0 = Metrics.value(cluster.overseerMetrics(), "pipewright_tasks_retries_total");
        String job = cluster.submit("durable-retry", """
                {"inputs": {"seed": "durable"}}""");
        JsonNode waiting = cluster.awaitTask(job, "once", "RETRY_WAIT", TIMEOUT);
        assertEquals(1, waiting.path("attempts").asInt());
        assertTrue(waiting.path("error").asText().contains("failing on purpose (attempt 1)"), waiting::toString);
        String member = "r|" + job + "|once";
        Double due = cluster.redis().zscore(cluster.keys().timers(cluster.shardOf(job)), member);
        assertNotNull(due, "the retry waits as timer " + member);
        assertEquals(waiting.path("ended_us").asLong() / 1000 + 3000, Math.round(due));
        String seq = cluster.redis().hget(cluster.jobKey(job), "seq");

        // during the wait: no message anywhere, no new dispatch, no attempt
        Cluster.sleep(1000);
        assertEquals(0, cluster.queueDepth("default"), "no message waits in the queue during the back-off");
        assertEquals(0.0, Metrics.value(cluster.workerMetrics(0), "pipewright_worker_inflight"));
        assertEquals(seq, cluster.redis().hget(cluster.jobKey(job), "seq"), "no dispatch during the back-off");
        assertEquals("RETRY_WAIT", cluster.redis().hget(cluster.taskKey(job, "once"), "state"));
        assertEquals("1", cluster.redis().hget(cluster.taskKey(job, "once"), "attempts"));

        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals(2, Cluster.task(view, "once").path("attempts").asInt());
        assertNull(cluster.redis().zscore(cluster.keys().timers(cluster.shardOf(job)), member), "the timer is gone once it fired");
        assertEquals(Long.parseLong(seq) + 1, Long.parseLong(cluster.redis().hget(cluster.jobKey(job), "seq")), "one more dispatch: the retry");
        assertEquals(retries0 + 1, Metrics.value(cluster.overseerMetrics(), "pipewright_tasks_retries_total"));
        assertEquals("durable", cluster.consumableText(job, "x"));
    }

    @Test
    void retriesRunOutAndANonRetryableFailureIsNotRetried() {
        cluster.postPipeline("""
                name: give-up
                dataNodes: {seed: {}, a: {}, b: {}, c: {}}
                processNodes:
                  always:
                    input: [seed]
                    output: [a]
                    processor: fail
                    retries: {max: 2, backoff: fixed, initial: 100ms}
                  fatal:
                    input: [seed]
                    output: [b]
                    processor: fail
                    config: {retryable: false, message: "bad data"}
                    retries: 3
                  short:
                    input: [seed]
                    output: [c]
                    processor: fail
                    config: {times: 1}
                    retries: 1
                """);
        String job = cluster.submit("give-up", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode always = Cluster.task(view, "always");
        assertEquals("FAILED", always.path("status").asText());
        assertEquals(3, always.path("attempts").asInt(), "max counts retries after the first: " + always);
        assertTrue(always.path("error").asText().contains("(attempt 3)"), always::toString);
        JsonNode fatal = Cluster.task(view, "fatal");
        assertEquals("FAILED", fatal.path("status").asText());
        assertEquals(1, fatal.path("attempts").asInt(), "a non-retryable failure is final: " + fatal);
        assertEquals("bad data (attempt 1)", fatal.path("error").asText());
        JsonNode shortForm = Cluster.task(view, "short");
        assertEquals("SUCCESS", shortForm.path("status").asText(), "retries: 1 allows one retry: " + shortForm);
        assertEquals(2, shortForm.path("attempts").asInt());
    }

    @Test
    void aHandedBackAttemptDoesNotUseUpARetry() throws Exception {
        cluster.trackPool("handoff");
        cluster.postPipeline("""
                name: handoff
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  slow: {input: [seed], output: [x], processor: slowfail, pool: handoff, retries: {max: 1, backoff: fixed, initial: 100ms}}
                """);
        int leaving = cluster.addWorker(Map.of("PW_POOLS", "handoff", "PW_SHUTDOWN_GRACE", "200ms"));
        String job = cluster.submit("handoff", """
                {"inputs": {"seed": "s"}}""");
        JsonNode running = cluster.awaitTask(job, "slow", "RUNNING", TIMEOUT);
        assertEquals(cluster.workerId(leaving), running.path("worker").asText());
        cluster.stopWorker(leaving);
        JsonNode back = cluster.awaitTask(job, "slow", "READY", TIMEOUT);
        assertTrue(back.path("error").asText().contains("handed back"), back::toString);

        cluster.addWorker(Map.of("PW_POOLS", "handoff"));
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode slow = Cluster.task(view, "slow");
        assertEquals(3, slow.path("attempts").asInt(), "the handed-back attempt, then the first try and its one retry: " + slow);
        assertEquals("command exited with code 1: gave up", slow.path("error").asText());
        assertEquals("1", cluster.redis().hget(cluster.taskKey(job, "slow"), "handbacks"));
        assertEquals("0", cluster.redis().hget(cluster.taskKey(job, "slow"), "lost"));
    }

    @Test
    void execExitCodesMapToFinalOrRetryableFailures() {
        cluster.postPipeline("""
                name: exit-codes
                dataNodes: {seed: {}, a: {}, b: {}, c: {}}
                processNodes:
                  permanent: {input: [seed], output: [a], processor: exit3, retries: {max: 2, backoff: fixed, initial: 100ms}}
                  transient: {input: [seed], output: [b], processor: exit75, retries: {max: 2, backoff: fixed, initial: 100ms}}
                  unlisted: {input: [seed], output: [c], processor: only75, retries: {max: 2, backoff: fixed, initial: 100ms}}
                """);
        String job = cluster.submit("exit-codes", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode permanent = Cluster.task(view, "permanent");
        assertEquals("FAILED", permanent.path("status").asText());
        assertEquals(1, permanent.path("attempts").asInt(), "exit code 3 is listed in permanentExitCodes: " + permanent);
        assertEquals("command exited with code 3: bad input", permanent.path("error").asText());
        JsonNode transientTask = Cluster.task(view, "transient");
        assertEquals("FAILED", transientTask.path("status").asText());
        assertEquals(3, transientTask.path("attempts").asInt(), "exit code 75 is retryable: " + transientTask);
        assertEquals("command exited with code 75: try later", transientTask.path("error").asText());
        JsonNode unlisted = Cluster.task(view, "unlisted");
        assertEquals(1, unlisted.path("attempts").asInt(), "only exit code 75 is retryable for this command: " + unlisted);
        assertTrue(unlisted.path("error").asText().startsWith("command exited with code 1"), unlisted::toString);
    }
}
