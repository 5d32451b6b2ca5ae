package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.state.CommitReply;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import dev.pipewright.it.support.WorkerProcess;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.worker.store.AttemptStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each timeout kind ends its task with its own reason within its
 * bound + 1 s (measured on Redis's clock, the one every {@code *_us} time comes from), and a
 * late result from a timed-out attempt is rejected.
 */
class TimeoutIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long ONE_SECOND_US = 1_000_000;

    static Cluster cluster;
    static int solo;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(4).workerMetrics(true).overseerSetting("PW_MAX_LOST_LEASES", "1").start();
        // a pool served by one worker that runs one attempt at a time: a second task there must queue
        cluster.trackPool("solo");
        solo = cluster.addWorker(Map.of("PW_POOLS", "solo", "PW_CONCURRENCY", "1"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static long redisMicros(String key, String field) {
        String v = cluster.redis().hget(key, field);
        assertNotNull(v, key + " has no " + field);
        return Long.parseLong(v);
    }

    /** The sleep (60 s) was interrupted on the worker, not left running after its task ended. */
    private static void awaitWorkerIdle() {
        Cluster.await("the worker's attempt to stop", Duration.ofSeconds(5),
                () -> Metrics.value(cluster.workerMetrics(0), "pipewright_worker_inflight") == 0);
    }

    @Test
    void anAttemptPastItsTimeoutIsTimedOutAndItsLateCommitIsFenced() throws Exception {
        cluster.postPipeline("""
                name: attempt-timeout
                dataNodes: {seed: {}, x: {}, y: {}}
                processNodes:
                  slow:
                    input: [seed]
                    output: [x]
                    processor: sleep
                    config: {ms: 60000}
                    timeout: 1s
                    retries: {max: 1, backoff: fixed, initial: 100ms, jitter: 0}
                  after: {input: [x], output: [y], processor: identity}
                """);
        String job = cluster.submit("attempt-timeout", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode slow = Cluster.task(view, "slow");
        assertEquals("TIMED_OUT", slow.path("status").asText(), slow::toString);
        assertEquals(2, slow.path("attempts").asInt(), "the timed-out first attempt was retried once: " + slow);
        assertTrue(slow.path("error").asText().contains("timeout (1000 ms)"), slow::toString);
        long ranUs = slow.path("ended_us").asLong() - slow.path("started_us").asLong();
        assertTrue(ranUs >= ONE_SECOND_US && ranUs <= 2 * ONE_SECOND_US, "the last attempt ended " + ranUs + " µs after it started");
        JsonNode after = Cluster.task(view, "after");
        assertEquals("SKIPPED", after.path("status").asText(), after::toString);
        awaitWorkerIdle();

        // the timed-out attempt (a processor that ignored its interrupt, say) tries to commit its result now
        String taskKey = cluster.taskKey(job, "slow");
        String attemptId = cluster.redis().hget(taskKey, "attempt");
        long dispatch = Long.parseLong(cluster.redis().hget(taskKey, "dispatch"));
        TaskMessage message = new TaskMessage(1, job, cluster.shardOf(job), "slow", dispatch);
        RedisClient client = RedisClient.create(RedisURI.create(TestServices.redisUri()));
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            AttemptStore store = new AttemptStore(cluster.keys(), RedisLink.of(connection));
            List<CommitReply> replies = store.commit(message.shard(), List.of(
                    new StateGateway.Commit(job, "slow", attemptId, StateGateway.Outcome.OK, "", true,
                            AttemptStore.outputs(Map.of("x", "late".getBytes(StandardCharsets.UTF_8)))),
                    new StateGateway.Commit(job, "slow", attemptId, StateGateway.Outcome.FAIL, "late failure", true, Map.of())))
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(List.of("fenced", "fenced"), replies.stream().map(CommitReply::wire).toList());
        } finally {
            client.shutdown();
        }
        assertEquals(404, cluster.consumable(job, "x").status(), "the late result was not written");
        JsonNode again = Cluster.task(cluster.job(job), "slow");
        assertEquals("TIMED_OUT", again.path("status").asText());
        assertEquals(slow.path("error").asText(), again.path("error").asText());
    }

    @Test
    void aTaskNobodyStartsWithinItsQueueTimeoutIsTimedOut() {
        cluster.postPipeline("""
                name: queue-blocker
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  block: {input: [seed], output: [x], processor: sleep, config: {ms: 4000}, pool: solo}
                """);
        cluster.postPipeline("""
                name: queue-timeout
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  waits: {input: [seed], output: [x], processor: sleep, config: {ms: 1}, pool: solo, queueTimeout: 1s}
                """);
        String blocker = cluster.submit("queue-blocker", """
                {"inputs": {"seed": "s"}}""");
        cluster.awaitTask(blocker, "block", "RUNNING", TIMEOUT);

        String job = cluster.submit("queue-timeout", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode waits = Cluster.task(view, "waits");
        assertEquals("TIMED_OUT", waits.path("status").asText(), waits::toString);
        assertEquals(0, waits.path("attempts").asInt(), "it never started: " + waits);
        assertTrue(waits.path("error").asText().contains("queueTimeout (1000 ms)"), waits::toString);
        long waitedUs = waits.path("ended_us").asLong() - redisMicros(cluster.taskKey(job, "waits"), "readyAt");
        assertTrue(waitedUs >= ONE_SECOND_US && waitedUs <= 2 * ONE_SECOND_US, "timed out " + waitedUs + " µs after it was queued");
        assertEquals("RUNNING", Cluster.task(cluster.job(blocker), "block").path("status").asText(), "the blocker still ran then");

        // once free, the worker drops the stale message instead of starting the timed-out task
        assertEquals("SUCCESS", cluster.awaitJob(blocker, TIMEOUT).path("status").asText());
        Cluster.await("the solo worker to drop the timed-out task's message", TIMEOUT,
                () -> Metrics.value(cluster.workerMetrics(solo), "pipewright_messages_duplicates_total", Map.of("pool", "solo")) >= 1);
        assertEquals(0.0, Metrics.value(cluster.workerMetrics(solo), "pipewright_tasks_started_total", Map.of("processor", "identity")));
        assertEquals(0, Cluster.task(cluster.job(job), "waits").path("attempts").asInt());
    }

    @Test
    void aWorkerThatStopsHeartbeatingLosesItsLeaseUpToTheLimitAndItsLateCommitsAreFenced() throws Exception {
        cluster.postPipeline("""
                name: heartbeat
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  beat: {input: [seed], output: [x], processor: sleep, config: {ms: 4000}, pool: hb, heartbeat: 2s}
                """);
        cluster.trackPool("hb");
        int metricsPort = Cluster.freePort();
        Map<String, String> env = cluster.workerEnv("frozen-worker", metricsPort);
        env.put("PW_POOLS", "hb");
        Path log = Path.of("target", "worker-process-hb-" + cluster.namespace() + ".log");
        try (WorkerProcess worker = WorkerProcess.start(env, log)) {
            try {
                cluster.awaitWorkersListed(Set.of("frozen-worker"));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; worker process output:\n" + worker.logText(), e);
            }
            String job = cluster.submit("heartbeat", """
                    {"inputs": {"seed": "heartbeat"}}""");
            JsonNode running = cluster.awaitTask(job, "beat", "RUNNING", TIMEOUT);
            assertEquals("frozen-worker", running.path("worker").asText());

            // cut off: the process no longer renews its lease, nor commits
            worker.freeze();
            String taskKey = cluster.taskKey(job, "beat");
            Double leaseEnds = cluster.redis().zscore(cluster.keys().leases(cluster.shardOf(job)), Keys.member(new JobId(job), "beat"));
            assertNotNull(leaseEnds, "the running attempt holds a lease");
            Cluster.await("the lease to expire and the task to be dispatched again", TIMEOUT,
                    () -> "READY".equals(cluster.redis().hget(taskKey, "state")));
            long detectedUs = redisMicros(taskKey, "readyAt") - (long) (leaseEnds * 1000);
            assertTrue(detectedUs <= 500_000 + ONE_SECOND_US, "the lost lease was acted on " + detectedUs + " µs after it ran out");
            String reason = cluster.redis().hget(taskKey, "error");
            assertTrue(reason.contains("lease expired") && reason.contains("frozen-worker") && reason.contains("heartbeat"), reason);
            assertEquals("1", cluster.redis().hget(taskKey, "lost"));

            // back again: the old attempt's commit is refused; the worker then runs the task afresh
            worker.resume();
            JsonNode second = cluster.awaitTask(job, "beat", "RUNNING", TIMEOUT);
            assertEquals(2, second.path("attempts").asInt(), second::toString);

            // silent again: past PW_MAX_LOST_LEASES (1) the task fails, naming the lost heartbeat
            worker.freeze();
            Double secondLeaseEnds = cluster.redis().zscore(cluster.keys().leases(cluster.shardOf(job)), Keys.member(new JobId(job), "beat"));
            assertNotNull(secondLeaseEnds);
            JsonNode view = cluster.awaitJob(job, TIMEOUT);
            assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
            JsonNode failed = Cluster.task(view, "beat");
            assertEquals("FAILED", failed.path("status").asText());
            assertEquals("lease expired: worker 'frozen-worker' stopped heartbeating (2 times)", failed.path("error").asText());
            long failedAfterUs = failed.path("ended_us").asLong() - (long) (secondLeaseEnds * 1000);
            assertTrue(failedAfterUs <= 500_000 + ONE_SECOND_US, "the second lost lease was acted on " + failedAfterUs + " µs after it ran out");
            assertEquals(404, cluster.consumable(job, "x").status());

            worker.resume();
            String metricsUrl = "http://127.0.0.1:" + metricsPort + "/metrics";
            Cluster.await("both frozen attempts' late commits to be fenced", TIMEOUT, () -> Metrics.value(
                    cluster.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(metricsUrl)).GET()).text(),
                    "pipewright_attempts_fenced_total", Map.of("pool", "hb")) == 2.0);
            assertEquals(404, cluster.consumable(job, "x").status(), "no late result was written");
            assertEquals("FAILED", Cluster.task(cluster.job(job), "beat").path("status").asText());
        }
    }

    @Test
    void aJobPastItsDeadlineStopsWithItsRunningTaskTimedOut() {
        cluster.postPipeline("""
                name: deadline
                deadline: 2s
                dataNodes: {seed: {}, x: {}, y: {}}
                processNodes:
                  long: {input: [seed], output: [x], processor: sleep, config: {ms: 60000}}
                  next: {input: [x], output: [y], processor: identity}
                """);
        String job = cluster.submit("deadline", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode longTask = Cluster.task(view, "long");
        assertEquals("TIMED_OUT", longTask.path("status").asText(), longTask::toString);
        assertTrue(longTask.path("error").asText().contains("deadline"), longTask::toString);
        JsonNode next = Cluster.task(view, "next");
        assertEquals(0, next.path("attempts").asInt());
        assertTrue(next.path("error").asText().contains("deadline"), next::toString);
        assertEquals("CANCELLED", next.path("status").asText(), next::toString);
        awaitWorkerIdle();
        long startedUs = redisMicros(cluster.jobKey(job), "started");
        long stoppedUs = longTask.path("ended_us").asLong() - startedUs;
        assertTrue(stoppedUs >= 2 * ONE_SECOND_US && stoppedUs <= 3 * ONE_SECOND_US,
                "the running task stopped " + stoppedUs + " µs after the job started");
    }
}
