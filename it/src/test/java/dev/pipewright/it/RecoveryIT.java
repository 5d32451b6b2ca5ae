package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import dev.pipewright.it.support.WorkerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lease path: a worker process is SIGKILLed while it runs a task; once its lease runs out the
 * sweeper dispatches the task again and another worker finishes it. Nothing the dead attempt did
 * reaches the job.
 */
class RecoveryIT {
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        // no in-JVM worker yet: the task must land on the worker process
        cluster = Cluster.builder().workers(0).concurrency(1).workerMetrics(true).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aKilledWorkersTaskIsTakenOverAfterItsLeaseExpires() throws Exception {
        cluster.postPipeline("""
                name: slow
                dataNodes:
                  seed:
                  result:
                    source: out/recovered.txt
                processNodes:
                  slow:
                    input: [seed]
                    output: [result]
                    processor: sleep
                    config: {ms: 8000}
                """);
        Map<String, String> env = cluster.workerEnv("doomed-worker", 0);
        env.put("PW_LEASE", "2s");
        Path log = Path.of("target", "worker-process-" + cluster.namespace() + ".log");
        try (WorkerProcess doomed = WorkerProcess.start(env, log)) {
            try {
                cluster.awaitWorkersListed(java.util.Set.of("doomed-worker"));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; worker process output:\n" + doomed.logText(), e);
            }
            String job = cluster.submit("slow", """
                    {"inputs": {"seed": "survives a SIGKILL"}}""");
            JsonNode running = cluster.awaitTask(job, "slow", "RUNNING", Duration.ofSeconds(20));
            assertEquals("doomed-worker", running.path("worker").asText());
            assertEquals(1, running.path("attempts").asInt());

            // the rescuer is up before the kill, idle: the only task is on the doomed worker
            int rescuer = cluster.addWorker();
            doomed.kill();
            assertFalse(doomed.isAlive());

            JsonNode view = cluster.awaitJob(job, Duration.ofSeconds(40));
            assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);

            JsonNode task = Cluster.task(view, "slow");
            assertEquals(2, task.path("attempts").asInt(), task::toString);
            assertEquals(cluster.workerId(rescuer), task.path("worker").asText());
            assertNotEquals("doomed-worker", task.path("worker").asText());
            assertTrue(task.path("error").isNull(), "the successful attempt leaves no error: " + task);
            assertEquals("1", cluster.redis().hget(cluster.taskKey(job, "slow"), "lost"), "one lost lease");

            // the output was written once, by the second attempt
            assertEquals("survives a SIGKILL", cluster.consumableText(job, "result"));
            assertEquals("survives a SIGKILL", Files.readString(cluster.dataArea().resolve("out/recovered.txt")));
            String overseer = cluster.overseerMetrics();
            assertEquals(1.0, Metrics.value(overseer, "pipewright_sweeper_redispatches_total"), "one lease expiry");
            assertEquals(1.0, Metrics.value(overseer, "pipewright_events_processed_total"), "one completion event in all");
            assertEquals(0.0, Metrics.value(overseer, "pipewright_events_duplicates_total"));
            String rescuerMetrics = cluster.workerMetrics(rescuer);
            assertEquals(1.0, Metrics.value(rescuerMetrics, "pipewright_tasks_started_total", Map.of("processor", "sleep")));
            assertEquals(1.0, Metrics.value(rescuerMetrics, "pipewright_tasks_finished_total", Map.of("processor", "sleep", "outcome", "SUCCESS")));
            assertEquals(1, view.path("counts").path("succeeded").asInt());
        }
    }
}
