package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance: "a hand-published duplicate of a task message, and a replayed completion event,
 * change nothing". Each check first proves that the duplicate really reached its consumer (the
 * worker's duplicate counter, the overseer's duplicate-event counter), so a test that passes
 * because nothing was delivered is impossible.
 */
class DuplicateDeliveryIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String CHAIN = """
            name: %s
            dataNodes:
              seed:
              x:
              y:
            processNodes:
              a:
                input: [seed]
                output: [x]
                processor: %s
                config: {ms: %d}
              b:
                input: [x]
                output: [y]
                processor: identity
            """;

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        // one worker, so every duplicate reaches the worker whose counters the test reads
        cluster = Cluster.builder().workers(1).concurrency(4).workerMetrics(true).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String taskMessage(String job, int shard, String node, String dispatch) {
        return "{\"type\":\"task\",\"v\":1,\"job\":\"" + job + "\",\"shard\":" + shard + ",\"node\":\"" + node
                + "\",\"dispatch\":" + dispatch + "}";
    }

    private static double workerCounter(String name, Map<String, String> labels) {
        return Metrics.value(cluster.workerMetrics(0), name, labels);
    }

    private static double duplicatesDropped() {
        return workerCounter("pipewright_messages_duplicates_total", Map.of("pool", "default"));
    }

    private static double started(String processor) {
        return workerCounter("pipewright_tasks_started_total", Map.of("processor", processor));
    }

    @Test
    void aHandPublishedDuplicateOfATaskMessageChangesNothing() throws Exception {
        cluster.postPipeline(CHAIN.formatted("dup-task", "sleep", 1000));
        double dropped0 = duplicatesDropped();
        double sleeps0 = started("sleep");
        double identities0 = started("identity");

        String job = cluster.submit("dup-task", """
                {"inputs": {"seed": "payload"}}
                """);
        int shard = cluster.shardOf(job);
        RedisCommands<String, String> redis = cluster.redis();
        String taskA = cluster.taskKey(job, "a");

        // while a runs: publish a copy of the message that started it
        Cluster.await("task a to run", TIMEOUT, () -> "RUNNING".equals(redis.hget(taskA, "state")));
        String dispatchA = redis.hget(taskA, "dispatch");
        assertNotNull(dispatchA);
        cluster.publish(cluster.keys().taskExchange(), "default", taskMessage(job, shard, "a", dispatchA));
        Cluster.await("the worker to drop the first duplicate", TIMEOUT, () -> duplicatesDropped() >= dropped0 + 1);
        assertEquals("RUNNING", redis.hget(taskA, "state"), "the duplicate arrived while a was running");

        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);

        // after the job: copies of both task messages
        String dispatchB = redis.hget(cluster.taskKey(job, "b"), "dispatch");
        cluster.publish(cluster.keys().taskExchange(), "default", taskMessage(job, shard, "a", dispatchA));
        cluster.publish(cluster.keys().taskExchange(), "default", taskMessage(job, shard, "b", dispatchB));
        Cluster.await("the worker to drop all three duplicates", TIMEOUT, () -> duplicatesDropped() >= dropped0 + 3);

        JsonNode after = cluster.job(job);
        assertEquals("SUCCESS", after.path("status").asText());
        assertEquals(1, Cluster.task(after, "a").path("attempts").asInt(), "a ran once");
        assertEquals(1, Cluster.task(after, "b").path("attempts").asInt(), "b ran once");
        assertEquals(dispatchA, redis.hget(taskA, "dispatch"), "no new dispatch of a");
        assertEquals(dispatchB, redis.hget(cluster.taskKey(job, "b"), "dispatch"), "no new dispatch of b");
        assertEquals("2", redis.hget(cluster.jobKey(job), "seq"), "two dispatches in all");
        assertEquals(sleeps0 + 1, started("sleep"), "the worker started the sleep processor once");
        assertEquals(identities0 + 1, started("identity"), "the worker started the identity processor once");
        assertEquals(dropped0 + 3, duplicatesDropped());
        assertEquals(Map.of("succeeded", 2, "failed", 0, "skipped", 0, "total", 2),
                Map.of("succeeded", after.path("counts").path("succeeded").asInt(), "failed", after.path("counts").path("failed").asInt(),
                        "skipped", after.path("counts").path("skipped").asInt(), "total", after.path("counts").path("total").asInt()));
        assertEquals("payload", cluster.consumableText(job, "y"));
    }

    @Test
    void aReplayedCompletionEventChangesNothingAfterTheJob() throws Exception {
        cluster.postPipeline(CHAIN.formatted("replay-after", "identity", 0));
        String job = cluster.submit("replay-after", """
                {"inputs": {"seed": "payload"}}
                """);
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);

        replayAndCheck(job, "a");
        replayAndCheck(job, "b");
        assertEquals("payload", cluster.consumableText(job, "y"));
    }

    @Test
    void aReplayedCompletionEventChangesNothingWhileTheChildRuns() throws Exception {
        // a (fast) -> b (slow) -> c: replay a's completion while b runs; b must not be dispatched again
        cluster.postPipeline("""
                name: replay-during
                dataNodes:
                  seed:
                  x:
                  y:
                  z:
                processNodes:
                  a:
                    input: [seed]
                    output: [x]
                    processor: identity
                  b:
                    input: [x]
                    output: [y]
                    processor: sleep
                    config: {ms: 1000}
                  c:
                    input: [y]
                    output: [z]
                    processor: identity
                """);
        String job = cluster.submit("replay-during", """
                {"inputs": {"seed": "payload"}}
                """);
        RedisCommands<String, String> redis = cluster.redis();
        Cluster.await("task b to run", TIMEOUT, () -> "RUNNING".equals(redis.hget(cluster.taskKey(job, "b"), "state")));
        Map<String, String> before = snapshot(job, List.of("a", "b", "c"));
        double duplicates0 = overseerCounter("pipewright_events_duplicates_total");

        xaddCompletion(job, "a");
        Cluster.await("the overseer to take the replayed event as a duplicate", TIMEOUT,
                () -> overseerCounter("pipewright_events_duplicates_total") >= duplicates0 + 1);
        Map<String, String> during = snapshot(job, List.of("a", "b", "c"));
        // b may have finished meanwhile; only its own progress may differ, never a's or the job's dispatch sequence
        assertEquals(before.get("job.seq"), during.get("job.seq"), "no new dispatch");
        assertEquals(before.get("b.dispatch"), during.get("b.dispatch"), "b was not dispatched again");
        assertEquals(before.get("b.attempts"), during.get("b.attempts"));

        JsonNode done = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", done.path("status").asText(), done::toPrettyString);
        for (String node : List.of("a", "b", "c")) {
            assertEquals(1, Cluster.task(done, node).path("attempts").asInt(), node + " ran once");
        }
        assertEquals(3, done.path("counts").path("succeeded").asInt());
        assertEquals("3", redis.hget(cluster.jobKey(job), "seq"), "three dispatches in all");
        assertEquals("payload", cluster.consumableText(job, "z"));
    }

    /** Replays node's completion event once the job is over and checks that no state moved. */
    private void replayAndCheck(String job, String node) {
        RedisCommands<String, String> redis = cluster.redis();
        String events = cluster.keys().events(cluster.shardOf(job));
        Map<String, String> before = snapshot(job, List.of("a", "b"));
        double processed0 = overseerCounter("pipewright_events_processed_total");
        double duplicates0 = overseerCounter("pipewright_events_duplicates_total");
        double dispatched0 = overseerCounter("pipewright_tasks_dispatched_total");
        assertTrue(dispatched0 >= 2, "the overseer counts dispatched task messages (the job's two at least): " + dispatched0);

        xaddCompletion(job, node);
        Cluster.await("the overseer to consume the replayed event of " + node, TIMEOUT,
                () -> overseerCounter("pipewright_events_processed_total") >= processed0 + 1);
        Cluster.await("the events stream to be empty and acknowledged", TIMEOUT,
                () -> redis.xlen(events) == 0 && redis.xpending(events, "overseer").getCount() == 0);

        assertEquals(duplicates0 + 1, overseerCounter("pipewright_events_duplicates_total"), "taken as a duplicate");
        assertEquals(before, snapshot(job, List.of("a", "b")), "nothing changed after replaying " + node);
        assertEquals(dispatched0, overseerCounter("pipewright_tasks_dispatched_total"), "no task message was published");
        assertEquals(0, redis.xlen(cluster.keys().outbox(cluster.shardOf(job))), "the outbox got no entry");
    }

    private void xaddCompletion(String job, String node) {
        RedisCommands<String, String> redis = cluster.redis();
        String attempt = redis.hget(cluster.taskKey(job, node), "attempt");
        assertNotNull(attempt, "the attempt id of " + node);
        Map<String, String> event = new LinkedHashMap<>();
        event.put("j", job);
        event.put("n", node);
        event.put("a", attempt);
        event.put("o", "ok");
        redis.xadd(cluster.keys().events(cluster.shardOf(job)), event);
    }

    private static double overseerCounter(String name) {
        return Metrics.value(cluster.overseerMetrics(), name);
    }

    /** Everything a replay could move: the job's counters and status, each task's state, and the sets and data. */
    private static Map<String, String> snapshot(String job, List<String> nodes) {
        RedisCommands<String, String> redis = cluster.redis();
        Map<String, String> out = new TreeMap<>();
        String jobKey = cluster.jobKey(job);
        redis.hgetall(jobKey).forEach((k, v) -> out.put("job." + k, v));
        for (String node : nodes) {
            for (String field : List.of("state", "attempts", "dispatch", "attempt", "started", "ended", "error", "lost")) {
                out.put(node + "." + field, String.valueOf(redis.hget(cluster.taskKey(job, node), field)));
            }
            out.put(node + ".sat", String.valueOf(new java.util.TreeSet<>(redis.smembers(jobKey + ":sat:" + node))));
        }
        out.put("done", String.valueOf(new java.util.TreeSet<>(redis.smembers(jobKey + ":done"))));
        Map<String, String> data = redis.hgetall(cluster.keys().data(new dev.pipewright.protocol.keys.JobId(job)));
        out.put("data", String.valueOf(new TreeMap<>(data)));
        out.put("keys", String.valueOf(Set.copyOf(redis.keys(jobKey + "*")).stream().sorted().toList()));
        return out;
    }
}
