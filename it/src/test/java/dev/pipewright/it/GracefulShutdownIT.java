package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.WorkerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker process that gets SIGTERM mid-task finishes what fits in
 * its grace period and hands the rest back; another worker completes those; nothing is lost or
 * run twice, and nothing counts as a lost lease.
 */
class GracefulShutdownIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(40);

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(0).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static WorkerProcess startProcess(String id, String pool, String grace) throws Exception {
        cluster.trackPool(pool);
        Map<String, String> env = cluster.workerEnv(id, 0);
        env.put("PW_POOLS", pool);
        env.put("PW_CONCURRENCY", "1");
        env.put("PW_SHUTDOWN_GRACE", grace);
        WorkerProcess worker = WorkerProcess.start(env, Path.of("target", "worker-process-" + id + "-" + cluster.namespace() + ".log"));
        try {
            cluster.awaitWorkersListed(Set.of(id));
        } catch (AssertionError e) {
            worker.close();
            throw new AssertionError(e.getMessage() + "; worker process output:\n" + worker.logText(), e);
        }
        return worker;
    }

    @Test
    void aShortTaskFinishesOnTheStoppingWorker() throws Exception {
        cluster.postPipeline("""
                name: finish-first
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  short: {input: [seed], output: [x], processor: sleep, config: {ms: 2000}, pool: gs1}
                """);
        try (WorkerProcess worker = startProcess("finisher", "gs1", "10s")) {
            String job = cluster.submit("finish-first", """
                    {"inputs": {"seed": "finished"}}""");
            cluster.awaitTask(job, "short", "RUNNING", TIMEOUT);
            int exit = worker.terminate(Duration.ofSeconds(20));
            assertTrue(exit == 0 || exit == 143, "exit code " + exit + "\n" + worker.logText());

            JsonNode view = cluster.awaitJob(job, TIMEOUT);
            assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
            JsonNode task = Cluster.task(view, "short");
            assertEquals(1, task.path("attempts").asInt(), "finished by the stopping worker: " + task);
            assertEquals("finisher", task.path("worker").asText());
            assertEquals("finished", cluster.consumableText(job, "x"));
            assertEquals("0", cluster.redis().hget(cluster.taskKey(job, "short"), "lost"));
            assertTrue(!cluster.listedWorkers().contains("finisher"), "the stopped worker left the directory");
        }
    }

    @Test
    void longTasksAreHandedBackAndCompletedByAnotherWorker() throws Exception {
        cluster.postPipeline("""
                name: hand-back
                dataNodes: {seed: {}, x: {}, y: {}, z: {}}
                processNodes:
                  one: {input: [seed], output: [x], processor: sleep, config: {ms: 6000}, pool: gs2}
                  two: {input: [seed], output: [y], processor: sleep, config: {ms: 6000}, pool: gs2}
                  join: {input: [x, y], output: [z], processor: concat, pool: gs2}
                """);
        String job;
        String first;
        String second;
        try (WorkerProcess worker = startProcess("leaver", "gs2", "1s")) {
            job = cluster.submit("hand-back", """
                    {"inputs": {"seed": "s"}}""");
            Cluster.await("one task to run on the worker process", TIMEOUT, () -> {
                JsonNode v = cluster.job(job);
                return "RUNNING".equals(Cluster.task(v, "one").path("status").asText())
                        || "RUNNING".equals(Cluster.task(v, "two").path("status").asText());
            });
            first = "RUNNING".equals(Cluster.task(cluster.job(job), "one").path("status").asText()) ? "one" : "two";
            second = first.equals("one") ? "two" : "one";
            // concurrency 1: the other task's message waits, delivered to the worker or still in the queue
            assertEquals("READY", Cluster.task(cluster.job(job), second).path("status").asText());

            int exit = worker.terminate(Duration.ofSeconds(30));
            assertTrue(exit == 0 || exit == 143, "exit code " + exit + "\n" + worker.logText());
            // handed back: the sweeper dispatches it again at once (no worker of the pool is left to take it)
            JsonNode back = cluster.awaitTask(job, first, "READY", Duration.ofSeconds(5));
            assertTrue(back.path("error").asText().contains("handed back by worker 'leaver' at shutdown"), back::toString);
            JsonNode afterStop = cluster.job(job);
            assertEquals(0, Cluster.task(afterStop, second).path("attempts").asInt(),
                    "the stopping worker did not start the waiting task: " + afterStop.toPrettyString() + "\n" + worker.logText());
        }

        int rescuer = cluster.addWorker(Map.of("PW_POOLS", "gs2"));
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        JsonNode handedBack = Cluster.task(view, first);
        assertEquals(2, handedBack.path("attempts").asInt(), handedBack::toString);
        assertEquals(cluster.workerId(rescuer), handedBack.path("worker").asText());
        assertEquals("0", cluster.redis().hget(cluster.taskKey(job, first), "lost"), "a hand-back is not a lost lease");
        JsonNode waited = Cluster.task(view, second);
        assertEquals(1, waited.path("attempts").asInt(), waited::toString);
        assertEquals(cluster.workerId(rescuer), waited.path("worker").asText());
        assertEquals(1, Cluster.task(view, "join").path("attempts").asInt());
        assertEquals("ss", cluster.consumableText(job, "z"));
    }
}
