package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Independent tasks run at the same time on different workers. */
class ParallelismIT {
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(2).concurrency(1).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void twoIndependentSleepsOnTwoWorkersOverlap() {
        cluster.postPipeline("""
                name: two-sleeps
                dataNodes:
                  o1:
                  o2:
                processNodes:
                  s1:
                    output: [o1]
                    processor: sleep
                    config: {ms: 1000}
                  s2:
                    output: [o2]
                    processor: sleep
                    config: {ms: 1000}
                """);
        String job = cluster.submit("two-sleeps", "{}");
        JsonNode view = cluster.awaitJob(job, Duration.ofSeconds(30));
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);

        JsonNode s1 = Cluster.task(view, "s1");
        JsonNode s2 = Cluster.task(view, "s2");
        long start1 = s1.path("started_us").asLong();
        long end1 = s1.path("ended_us").asLong();
        long start2 = s2.path("started_us").asLong();
        long end2 = s2.path("ended_us").asLong();
        assertTrue(start1 > 0 && end1 >= start1 + 1_000_000 && start2 > 0 && end2 >= start2 + 1_000_000,
                "each task ran its full second: " + view.path("tasks"));
        assertEquals(1, s1.path("attempts").asInt());
        assertEquals(1, s2.path("attempts").asInt());

        long spanMs = (Math.max(end1, end2) - Math.min(start1, start2)) / 1000;
        assertTrue(spanMs < 1800, "two 1 s tasks on two workers took " + spanMs + " ms from first start to last end");
        boolean differentWorkers = !s1.path("worker").asText().equals(s2.path("worker").asText());
        boolean overlapped = start1 < end2 && start2 < end1;
        assertTrue(differentWorkers || overlapped, "the tasks neither ran on different workers nor overlapped: " + view.path("tasks"));
        // with concurrency 1 per worker, overlapping is only possible on two workers
        assertTrue(differentWorkers, "both ran on " + s1.path("worker").asText());
    }

    @Test
    void aStoppedWorkerLeavesTheDirectoryAndTheOtherCarriesOn() throws Exception {
        cluster.postPipeline("""
                name: one-task
                dataNodes:
                  in:
                  out:
                processNodes:
                  copy: {input: [in], output: [out], processor: identity}
                """);
        String stoppedId = cluster.workerId(0);
        cluster.stopWorker(0);
        try {
            assertFalse(cluster.listedWorkers().contains(stoppedId), "a stopped worker unregisters");
            assertTrue(cluster.listedWorkers().contains(cluster.workerId(1)));
            String job = cluster.submit("one-task", """
                    {"inputs": {"in": "still served"}}""");
            JsonNode view = cluster.awaitJob(job, Duration.ofSeconds(30));
            assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
            assertEquals(cluster.workerId(1), Cluster.task(view, "copy").path("worker").asText());
            assertEquals("still served", cluster.consumableText(job, "out"));
        } finally {
            cluster.startWorker(0);
        }
        assertNotEquals(stoppedId, cluster.workerId(0), "a restarted worker has a new id");
        assertTrue(cluster.listedWorkers().containsAll(java.util.Set.of(cluster.workerId(0), cluster.workerId(1))));
    }
}
