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
 * A process node's pool, or a job's {@code config.infra}, routes its tasks to
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
        // a refused task waits for the sweeper to dispatch it again: sweep often
        cluster = Cluster.builder().workers(0).overseerSetting("PW_SWEEP_INTERVAL", "100ms").start();
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

    /** Stops these workers and waits until the overseer no longer counts them (its worker view is read afresh). */
    private static void stopWorkers(int... indexes) {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i : indexes) {
            ids.add(cluster.workerId(i));
            cluster.stopWorker(i);
        }
        Cluster.await("stopped workers " + ids + " to leave the listing", Duration.ofSeconds(30),
                () -> java.util.Collections.disjoint(cluster.listedWorkers(), ids));
    }

    private static void postPinned(String name, String pool) {
        cluster.postPipeline("name: " + name + "\ndataNodes:\n  in:\n  out:\nprocessNodes:\n  work:\n    input: [in]\n    output: [out]\n"
                + "    processor: identity\n" + (pool == null ? "" : "    pool: " + pool + "\n"));
    }

    @Test
    void aPoolOffersWhatItsLiveWorkersOfferNotWhatOneOnceDid() throws Exception {
        postPinned("anypool", null);
        cluster.trackPool("huge");
        int huge = cluster.addWorker(Map.of("PW_POOLS", "huge", "PW_RESOURCES", "cpu=32,memory=64Gi"));
        try {
            liveOnly(huge);
        } finally {
            stopWorkers(huge);
        }
    }

    private static void liveOnly(int huge) {
        String job = cluster.submit("anypool", "{\"inputs\": {\"in\": \"x\"}, \"config\": {\"infra\": {\"cpu\": 16}}}");
        JsonNode view = cluster.awaitJob(job, Duration.ofSeconds(30));
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals("huge", Cluster.task(view, "work").path("pool").asText());

        stopWorkers(huge);
        int before = cluster.get("/api/v1/jobs?page_size=500").json().path("jobs").size();
        Cluster.Response[] last = new Cluster.Response[1];
        Cluster.await("a request only the stopped worker could meet to be refused", Duration.ofSeconds(10), () -> {
            last[0] = cluster.submitRaw("anypool", "{\"inputs\": {\"in\": \"x\"}, \"config\": {\"infra\": {\"cpu\": 16}}}");
            return last[0].status() == 400;
        });
        assertTrue(last[0].text().contains("no pool") && !last[0].text().contains("huge (cpu 32"), "offers only what live workers offer: " + last[0]);
        assertEquals(before, cluster.get("/api/v1/jobs?page_size=500").json().path("jobs").size(), "no job was created");
    }

    private static int refusals(String job, String node) {
        String n = cluster.redis().hget(cluster.taskKey(job, node), "refusals");
        return n == null ? 0 : Integer.parseInt(n);
    }

    @Test
    void aWorkerTooSmallForTheJobHandsTheTaskBackForABiggerOneOfItsPool() throws Exception {
        postPinned("mixed", "mixed");
        cluster.trackPool("mixed");
        int smallIndex = cluster.addWorker(Map.of("PW_POOLS", "mixed", "PW_RESOURCES", "cpu=1,memory=1Gi"));
        int bigIndex = cluster.addWorker(Map.of("PW_POOLS", "mixed", "PW_RESOURCES", "cpu=8,memory=16Gi"));
        try {
            handBacks(cluster.workerId(smallIndex), cluster.workerId(bigIndex));
        } finally {
            // the other tests route by the pools of live workers
            stopWorkers(smallIndex, bigIndex);
        }
    }

    private static void handBacks(String small, String big) {
        java.util.List<String> jobs = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            jobs.add(cluster.submit("mixed", "{\"inputs\": {\"in\": \"x" + i + "\"}, \"config\": {\"infra\": {\"cpu\": 4, \"memory\": \"2Gi\"}}}"));
        }
        int refused = 0;
        for (String job : jobs) {
            JsonNode view = cluster.awaitJob(job, Duration.ofSeconds(60));
            assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
            assertEquals(big, Cluster.task(view, "work").path("worker").asText(), "only the worker that offers cpu 4 ran it");
            refused += refusals(job, "work");
        }
        assertTrue(refused >= 1, "the small worker " + small + " took some of 8 deliveries and handed them back");
        // a job that fits both runs anywhere, refused by nobody
        String light = cluster.submit("mixed", "{\"inputs\": {\"in\": \"y\"}, \"config\": {\"infra\": {\"cpu\": 1}}}");
        assertEquals("SUCCESS", cluster.awaitJob(light, Duration.ofSeconds(30)).path("status").asText());
        assertEquals(0, refusals(light, "work"));
    }

    @Test
    void aTaskNoLiveWorkerOfItsPoolCanRunFailsAfterBoundedHandBacks() throws Exception {
        postPinned("lonely", "lonely");
        cluster.trackPool("lonely");
        int smallIndex = cluster.addWorker(Map.of("PW_POOLS", "lonely", "PW_RESOURCES", "cpu=1,memory=1Gi"));
        int bigIndex = cluster.addWorker(Map.of("PW_POOLS", "lonely", "PW_RESOURCES", "cpu=8,memory=16Gi"));
        try {
            boundedHandBacks(cluster.workerId(smallIndex), bigIndex);
        } finally {
            stopWorkers(smallIndex, bigIndex);
        }
    }

    private static void boundedHandBacks(String small, int bigIndex) {
        String built = cluster.submit("lonely", "{\"inputs\": {\"in\": \"x\"}, \"start\": false, \"config\": {\"infra\": {\"cpu\": 4}}}");
        stopWorkers(bigIndex); // the only worker that could run it goes away after the submit
        assertEquals(202, cluster.post("/api/v1/jobs/" + built + "/run", "", "application/json").status());
        JsonNode view = cluster.awaitJob(built, Duration.ofSeconds(60));
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        String error = Cluster.task(view, "work").path("error").asText();
        assertTrue(error.contains("refused by worker '" + small + "'") && error.contains("offers cpu 1") && error.contains("refused 20 times"), error);
        assertEquals(20, refusals(built, "work"));
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
