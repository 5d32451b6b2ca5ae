package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Concurrency limits enforced at dispatch, cluster-wide — a processor's
 * running tasks across every worker, a pipeline's running jobs — read back from the tasks' and
 * jobs' start and end times in Redis. Two workers with four slots each could run eight at once.
 */
class ConcurrencyLimitIT {
    private static final String PIPELINE = """
            name: %s
            dataNodes:
              in:
              out:
            processNodes:
              step:
                input: [in]
                output: [out]
                processor: %s
                config: {ms: 300}
            """;

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(2).concurrency(4).start();
        cluster.postPipeline(PIPELINE.formatted("limited-tasks", "sleep"));
        cluster.postPipeline(PIPELINE.formatted("limited-jobs", "sleep"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Cluster.Response put(String path, String body) {
        return cluster.send(HttpRequest.newBuilder(cluster.baseUri().resolve(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static Cluster.Response delete(String path) {
        return cluster.send(HttpRequest.newBuilder(cluster.baseUri().resolve(path)).DELETE());
    }

    private static long field(String key, String name) {
        return Long.parseLong(cluster.redis().hget(key, name));
    }

    /** The most intervals [start, end) open at once. */
    private static int maxOverlap(List<long[]> intervals) {
        int max = 0;
        for (long[] a : intervals) {
            int open = 0;
            for (long[] b : intervals) {
                if (b[0] <= a[0] && a[0] < b[1]) {
                    open++;
                }
            }
            max = Math.max(max, open);
        }
        return max;
    }

    private static List<String> submitMany(String pipeline, int n) {
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(cluster.submit(pipeline, "{\"inputs\": {\"in\": \"x" + i + "\"}}"));
        }
        return jobs;
    }

    @Test
    void aProcessorLimitCapsRunningTasksAcrossWorkers() {
        assertEquals(200, put("/api/v1/admin/limits/processor/sleep", "{\"max\": 2}").status());
        try {
            List<String> jobs = submitMany("limited-tasks", 10);
            JsonNode limits = cluster.get("/api/v1/admin/limits").json().path("limits");
            assertEquals("sleep", limits.path(0).path("name").asText(), limits::toString);
            List<long[]> runs = new ArrayList<>();
            for (String job : jobs) {
                assertEquals("SUCCESS", cluster.awaitJob(job, Duration.ofSeconds(60)).path("status").asText());
                String task = cluster.taskKey(job, "step");
                runs.add(new long[] {field(task, "started"), field(task, "ended")});
            }
            int overlap = maxOverlap(runs);
            assertTrue(overlap <= 2, "at most 2 sleep tasks ran at once, saw " + overlap);
            assertEquals(2, overlap, "the limit, not a lack of work, set the pace");
        } finally {
            assertEquals(200, delete("/api/v1/admin/limits/processor/sleep").status());
        }
    }

    @Test
    void aPipelineLimitKeepsFurtherJobsPendingUntilASlotFrees() {
        assertEquals(200, put("/api/v1/admin/limits/pipeline/limited-jobs", "{\"max\": 1}").status());
        try {
            List<String> jobs = new ArrayList<>();
            List<String> statuses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Cluster.Response r = cluster.submitRaw("limited-jobs", "{\"inputs\": {\"in\": \"p" + i + "\"}}");
                assertEquals(202, r.status(), r::toString);
                jobs.add(r.json().path("id").asText());
                statuses.add(r.json().path("status").asText());
            }
            assertEquals(List.of("RUNNING", "PENDING", "PENDING", "PENDING"), statuses);
            // a PENDING job can be cancelled; the others go on
            String cancelled = jobs.remove(3);
            assertEquals(202, cluster.post("/api/v1/jobs/" + cancelled + "/cancel", "", "application/json").status());
            assertEquals("CANCELLED", cluster.awaitJob(cancelled, Duration.ofSeconds(10)).path("status").asText());
            List<long[]> runs = new ArrayList<>();
            for (String job : jobs) {
                assertEquals("SUCCESS", cluster.awaitJob(job, Duration.ofSeconds(60)).path("status").asText());
                runs.add(new long[] {field(cluster.jobKey(job), "started"), field(cluster.jobKey(job), "finished")});
            }
            assertEquals(1, maxOverlap(runs), "one job of the pipeline ran at a time");
        } finally {
            assertEquals(200, delete("/api/v1/admin/limits/pipeline/limited-jobs").status());
        }
    }

    @Test
    void removingALimitReleasesWhatWaits() {
        assertEquals(200, put("/api/v1/admin/limits/processor/sleep", "{\"max\": 1}").status());
        List<String> jobs = submitMany("limited-tasks", 5);
        Cluster.await("tasks to wait for the limit", Duration.ofSeconds(10),
                () -> cluster.get("/api/v1/admin/limits").json().path("limits").path(0).path("waiting").asInt() >= 3);
        JsonNode removed = delete("/api/v1/admin/limits/processor/sleep").json();
        assertTrue(removed.path("dispatched").asInt() >= 3, removed::toString);
        for (String job : jobs) {
            assertEquals("SUCCESS", cluster.awaitJob(job, Duration.ofSeconds(60)).path("status").asText());
        }
    }

    @Test
    void badLimitsAreRefused() {
        assertEquals(400, put("/api/v1/admin/limits/queue/sleep", "{\"max\": 2}").status());
        assertEquals(400, put("/api/v1/admin/limits/processor/sleep", "{\"max\": 0}").status());
        assertEquals(400, put("/api/v1/admin/limits/processor/sleep", "{\"max\": \"two\"}").status());
        assertEquals(400, put("/api/v1/admin/limits/processor/sleep", "{\"max\": 2, \"burst\": 3}").status());
        assertEquals(404, delete("/api/v1/admin/limits/processor/nothing_limited").status());
        assertEquals(0, cluster.get("/api/v1/admin/limits").json().path("limits").size(), "nothing was set");
    }
}
