package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (issue 4): a process node's pool, or a job's {@code config.infra}, routes its tasks to
 * workers whose pool offers that capacity; a request no pool can satisfy is a clear 400 and creates
 * nothing. Two pools: "default" (cpu 2, memory 4Gi) and "big" (cpu 8, memory 32Gi).
 */
class PoolRoutingIT {
    private static final String PIPELINE = """
            name: routed
            dataNodes:
              in:
              mid:
              out:
            processNodes:
              anywhere:
                input: [in]
                output: [mid]
                processor: identity
              pinned:
                input: [mid]
                output: [out]
                processor: identity
                pool: big
            """;

    static Cluster cluster;
    static String smallWorker;
    static String bigWorker;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(0).start();
        cluster.trackPool("big");
        smallWorker = cluster.workerId(cluster.addWorker(Map.of("PW_POOLS", "default", "PW_RESOURCES", "cpu=2,memory=4Gi")));
        bigWorker = cluster.workerId(cluster.addWorker(Map.of("PW_POOLS", "big", "PW_RESOURCES", "cpu=8,memory=32Gi")));
        cluster.postPipeline(PIPELINE);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonNode run(String infra) {
        String job = cluster.submit("routed", "{\"inputs\": {\"in\": \"x\"}, \"config\": {\"infra\": " + infra + "}}");
        JsonNode view = cluster.awaitJob(job, Duration.ofSeconds(30));
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        return view;
    }

    @Test
    void aSmallRequestStaysInTheSmallestPoolThatFits() {
        JsonNode view = run("{\"cpu\": 1, \"memory\": \"1Gi\"}");
        assertEquals("default", Cluster.task(view, "anywhere").path("pool").asText());
        assertEquals(smallWorker, Cluster.task(view, "anywhere").path("worker").asText());
        assertEquals("big", Cluster.task(view, "pinned").path("pool").asText(), "a node's own pool stays");
        assertEquals(bigWorker, Cluster.task(view, "pinned").path("worker").asText());
    }

    @Test
    void aLargeRequestGoesToThePoolThatOffersIt() {
        JsonNode view = run("{\"cpu\": 4, \"memory\": \"16Gi\"}");
        assertEquals("big", Cluster.task(view, "anywhere").path("pool").asText());
        assertEquals(bigWorker, Cluster.task(view, "anywhere").path("worker").asText());
    }

    @Test
    void withoutInfraEveryNodeKeepsItsPool() {
        String job = cluster.submit("routed", "{\"inputs\": {\"in\": \"x\"}}");
        JsonNode view = cluster.awaitJob(job, Duration.ofSeconds(30));
        assertEquals("default", Cluster.task(view, "anywhere").path("pool").asText());
    }

    @Test
    void aRequestNoPoolCanMeetIsRefusedAndCreatesNothing() {
        int before = cluster.get("/api/v1/jobs?page_size=500").json().path("jobs").size();
        Cluster.Response r = cluster.submitRaw("routed", "{\"inputs\": {\"in\": \"x\"}, \"config\": {\"infra\": {\"cpu\": 16}}}");
        assertEquals(400, r.status(), r::toString);
        String text = r.text();
        assertTrue(text.contains("processNodes.anywhere.pool") && text.contains("no pool"), text);
        assertTrue(text.contains("processNodes.pinned.pool") && text.contains("pool 'big' does not offer"), text);
        assertTrue(text.contains("big (cpu 8, memory 32Gi") && text.contains("default (cpu 2, memory 4Gi"), "names what pools offer: " + text);
        assertEquals(before, cluster.get("/api/v1/jobs?page_size=500").json().path("jobs").size(), "no job was created");
    }
}
