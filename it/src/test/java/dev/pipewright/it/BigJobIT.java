package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jobs of more than one chunk (250 tasks) are written a chunk at a time while their first tasks
 * run: a task of a later chunk whose parents already ended is dispatched as it is written, one below
 * a parent that already failed is skipped, and the job ends once, with every task counted.
 */
class BigJobIT {
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(2).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A pipeline of {@code n} noop tasks after one head task of the given processor (fail: for good). */
    private static String fan(String name, int n, String headProcessor) {
        ObjectNode doc = Cluster.JSON.createObjectNode();
        doc.put("name", name);
        ObjectNode data = doc.putObject("dataNodes");
        ObjectNode nodes = doc.putObject("processNodes");
        data.putNull("h");
        ObjectNode head = nodes.putObject("head");
        head.putArray("output").add("h");
        head.put("processor", headProcessor);
        if (headProcessor.equals("fail")) {
            head.putObject("config").put("retryable", false);
        }
        for (int i = 0; i < n; i++) {
            data.putNull("d" + i);
            ObjectNode t = nodes.putObject("t" + i);
            t.putArray("input").add("h");
            t.putArray("output").add("d" + i);
            t.put("processor", "noop");
        }
        return doc.toString();
    }

    @Test
    void aChainAcrossChunksRunsToTheEndWithEveryTaskOnce() {
        ObjectNode doc = Cluster.JSON.createObjectNode();
        doc.put("name", "long-chain");
        ObjectNode data = doc.putObject("dataNodes");
        ObjectNode nodes = doc.putObject("processNodes");
        int n = 2_300;
        for (int i = 0; i < n; i++) {
            data.putNull("v" + i);
            ObjectNode t = nodes.putObject(String.format("c%04d", i));
            if (i > 0) {
                t.putArray("input").add("v" + (i - 1));
            }
            t.putArray("output").add("v" + i);
            t.put("processor", "noop");
        }
        cluster.postPipeline(doc.toString());
        String job = cluster.submit("long-chain", "{}");
        JsonNode view = cluster.awaitJob(job, Duration.ofMinutes(3));
        assertEquals("SUCCESS", view.path("status").asText(), () -> view.path("reason").asText());
        assertEquals(n + "/" + n, view.path("progress").asText());
        long previousEnd = 0;
        for (JsonNode t : view.path("tasks")) {
            assertEquals(1, t.path("attempts").asInt(), t::toString);
            assertTrue(t.path("started_us").asLong() >= previousEnd, "each link started after the one before ended: " + t);
            previousEnd = t.path("ended_us").asLong();
        }
        assertEquals(List.of(0, 0, 0, 0), List.of(view.path("counts").path("pending").asInt(), view.path("counts").path("ready").asInt(),
                view.path("counts").path("running").asInt(), view.path("counts").path("retry_wait").asInt()), "the state counters are back to 0");
        assertEquals("0", cluster.redis().hget(cluster.jobKey(job), "n:RUNNING"));
        assertEquals(null, cluster.redis().hget(cluster.jobKey(job), "building"), "the last chunk ended the building");
    }

    @Test
    void tasksBelowAFailedHeadAreSkippedWhicheverChunkTheyAreIn() {
        cluster.postPipeline(fan("failing-fan", 2_500, "fail"));
        String job = cluster.submit("failing-fan", "{}");
        JsonNode view = cluster.awaitJob(job, Duration.ofMinutes(2));
        assertEquals("FAILED", view.path("status").asText(), view.path("reason")::asText);
        assertEquals("2501/2501", view.path("progress").asText());
        assertEquals(1, view.path("counts").path("failed").asInt());
        assertEquals(2_500, view.path("counts").path("skipped").asInt());
        for (JsonNode t : view.path("tasks")) {
            if (!t.path("node").asText().equals("head")) {
                assertEquals("SKIPPED", t.path("status").asText(), t::toString);
                assertEquals(0, t.path("attempts").asInt(), t::toString);
            }
        }
    }

    @Test
    void aWideFanAcrossChunksSucceedsAndTheSummaryCountsItsTasks() {
        cluster.postPipeline(fan("wide-fan", 3_000, "noop"));
        String job = cluster.submit("wide-fan", "{}");
        JsonNode summary = cluster.get("/api/v1/jobs/" + job + "?tasks=false").json();
        assertEquals(3_001, summary.path("counts").path("total").asInt(), "the job counts every chunk's tasks from the start");
        JsonNode view = cluster.awaitJob(job, Duration.ofMinutes(2));
        assertEquals("SUCCESS", view.path("status").asText(), view.path("reason")::asText);
        assertEquals(3_001, view.path("counts").path("succeeded").asInt());
        assertEquals(3_001, view.path("tasks").size());
    }
}
