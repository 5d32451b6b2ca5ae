package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator endpoints against real RabbitMQ and Redis: queue numbers while a pool is paused,
 * dead letters produced for real and replayed, purge with dry-run, the workers listing, drain.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminIT {
    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final String JSON = "application/json";
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(2).start();
        cluster.postPipeline("""
                name: copy
                dataNodes:
                  raw:
                  out:
                processNodes:
                  copy: {input: raw, output: out, processor: identity}
                """);
        cluster.postPipeline("""
                name: nap
                dataNodes:
                  raw:
                  out:
                processNodes:
                  nap: {input: raw, output: out, processor: sleep, config: {ms: 4000}}
                """);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void resumeDefault() {
        post("/api/v1/admin/pools/default/resume", "{}");
    }

    private static JsonNode post(String path, String body) {
        Cluster.Response r = cluster.post(path, body, JSON);
        assertEquals(200, r.status(), path + ": " + r);
        return r.json();
    }

    private static JsonNode get(String path) {
        Cluster.Response r = cluster.get(path);
        assertEquals(200, r.status(), path + ": " + r);
        return r.json();
    }

    private static JsonNode queue(String pool) {
        for (JsonNode q : get("/api/v1/admin/queues").path("queues")) {
            if (pool.equals(q.path("pool").asText())) {
                return q;
            }
        }
        throw new AssertionError("no queue for pool " + pool + " in " + get("/api/v1/admin/queues"));
    }

    private static JsonNode worker() {
        JsonNode workers = get("/api/v1/admin/workers").path("workers");
        assertEquals(1, workers.size(), workers.toString());
        return workers.get(0);
    }

    private static void pauseAndAwaitApplied(String pool) {
        JsonNode paused = post("/api/v1/admin/pools/" + pool + "/pause", "{}");
        assertTrue(paused.path("paused").asBoolean(), paused.toString());
        Cluster.await("the worker to report " + pool + " paused", WAIT, () -> {
            for (JsonNode p : worker().path("paused_pools")) {
                if (pool.equals(p.asText())) {
                    return true;
                }
            }
            return false;
        });
        Cluster.await("no consumer on " + pool, WAIT, () -> queue(pool).path("consumers").asInt() == 0);
    }

    @Test
    @Order(1)
    void workersListingShowsHeartbeatFields() {
        JsonNode w = worker();
        assertEquals(cluster.workerId(0), w.path("id").asText());
        assertTrue(w.path("alive").asBoolean());
        assertEquals("[\"default\"]", w.path("pools").toString());
        assertEquals(2, w.path("concurrency").asInt());
        assertEquals(0, w.path("in_flight").asInt());
        assertEquals(0, w.path("in_flight_by_pool").path("default").asInt(-1));
        assertEquals(0, w.path("unacked_by_pool").path("default").asInt(-1));
        String version = w.path("version").asText();
        assertTrue(version.matches("\\d+\\.\\d+\\.\\d+.*"), "a real version, got " + version);
        assertTrue(w.path("last_seen_ago_ms").asLong() < 30_000, w.toString());
        assertTrue(w.path("processors").toString().contains("identity"), w.toString());

        JsonNode pools = get("/api/v1/admin/pools").path("pools");
        assertEquals("default", pools.get(0).path("pool").asText(), pools.toString());
        assertFalse(pools.get(0).path("paused").asBoolean());
        assertEquals(cluster.workerId(0), pools.get(0).path("workers").get(0).asText());
    }

    @Test
    @Order(2)
    void pausedPoolQueuesTasksWithAnAgeAndResumeRunsThem() {
        JsonNode before = queue("default");
        assertEquals(1, before.path("consumers").asInt(), before.toString());
        assertTrue(before.path("oldest_age_ms").isNull(), before.toString());

        pauseAndAwaitApplied("default");
        JsonNode pools = get("/api/v1/admin/pools").path("pools");
        assertTrue(pools.get(0).path("paused").asBoolean(), pools.toString());

        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(cluster.submit("copy", "{\"inputs\": {\"raw\": \"v" + i + "\"}}"));
        }
        Cluster.await("three ready messages and an oldest age", WAIT, () -> {
            JsonNode q = queue("default");
            return q.path("ready").asInt() == 3 && q.path("queued_tasks").asInt() == 3 && q.path("oldest_age_ms").asLong(0) > 0;
        });
        Cluster.sleep(1500);
        JsonNode q = queue("default");
        assertEquals(3, q.path("ready").asInt(), q.toString());
        assertEquals(0, q.path("consumers").asInt(), q.toString());
        assertTrue(q.path("paused").asBoolean());
        assertTrue(q.path("oldest_age_ms").asLong() >= 1000, "the age grows while nothing consumes: " + q);
        for (String job : jobs) {
            assertEquals("READY", Cluster.task(cluster.job(job), "copy").path("status").asText());
        }
        Map<String, String> pool = Map.of("pool", "default");
        Cluster.await("the probes to export the paused pool's queue", WAIT, () -> {
            String text = cluster.overseerMetrics();
            return Metrics.value(text, "pipewright_pool_paused", pool) == 1 && Metrics.value(text, "pipewright_queue_depth", pool) == 3
                    && Metrics.value(text, "pipewright_queue_oldest_age_seconds", pool) >= 1
                    && Metrics.value(text, "pipewright_queue_consumers", pool) == 0;
        });

        JsonNode resumed = post("/api/v1/admin/pools/default/resume", "{}");
        assertFalse(resumed.path("paused").asBoolean(), resumed.toString());
        for (int i = 0; i < jobs.size(); i++) {
            assertEquals("SUCCESS", cluster.awaitJob(jobs.get(i), WAIT).path("status").asText());
            assertEquals("v" + i, cluster.consumableText(jobs.get(i), "out"));
        }
        Cluster.await("the probes to export the resumed pool", WAIT, () -> {
            String text = cluster.overseerMetrics();
            return Metrics.value(text, "pipewright_pool_paused", pool) == 0 && Metrics.value(text, "pipewright_queue_oldest_age_seconds", pool) == 0;
        });
        Cluster.await("the queue to be empty again", WAIT, () -> {
            JsonNode after = queue("default");
            return after.path("ready").asInt() == 0 && after.path("queued_tasks").asInt() == 0
                    && after.path("oldest_age_ms").isNull() && after.path("consumers").asInt() == 1;
        });
    }

    /** Takes the pool's next message off its queue and rejects it, as a worker does with a message it cannot handle. */
    private static void rejectNextMessage(String pool) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(TestServices.rabbitUri());
        try (Connection c = f.newConnection("pipewright-it-admin"); Channel ch = c.createChannel()) {
            GetResponse[] got = new GetResponse[1];
            Cluster.await("a message on " + pool, WAIT, () -> {
                try {
                    got[0] = ch.basicGet(cluster.keys().poolQueue(pool), false);
                    return got[0] != null;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ch.basicReject(got[0].getEnvelope().getDeliveryTag(), false);
        }
    }

    @Test
    @Order(3)
    void deadLetteredTaskIsReplayedAsAReRunThatSucceeds() throws Exception {
        pauseAndAwaitApplied("default");
        String job = cluster.submit("copy", "{\"inputs\": {\"raw\": \"replayed\"}}");
        rejectNextMessage("default");
        JsonNode failed = cluster.awaitJob(job, WAIT);
        assertEquals("FAILED", failed.path("status").asText());
        assertTrue(Cluster.task(failed, "copy").path("error").asText().contains("dead-lettered"), failed.toString());

        JsonNode list = get("/api/v1/admin/dlq?job=" + job);
        assertEquals(1, list.path("total").asInt(), list.toString());
        JsonNode record = list.path("dead_letters").get(0);
        assertEquals("rejected", record.path("reason_code").asText());
        assertEquals("identity", record.path("processor").asText());
        assertEquals("default", record.path("pool").asText());
        assertEquals("copy", record.path("node").asText());
        assertEquals("failed", record.path("task").asText());
        String id = record.path("id").asText();
        assertEquals(record, get("/api/v1/admin/dlq/" + id));
        assertEquals(404, cluster.get("/api/v1/admin/dlq/nope").status());
        assertEquals(1, get("/api/v1/admin/dlq?processor=identity&reason=rejected").path("total").asInt());
        assertEquals(0, get("/api/v1/admin/dlq?processor=concat").path("total").asInt());

        JsonNode dry = post("/api/v1/admin/dlq/replay", "{\"job\": \"" + job + "\", \"dry_run\": true}");
        assertEquals(1, dry.path("matched").asInt(), dry.toString());
        assertEquals(0, dry.path("replayed").asInt());
        assertEquals("rerun", dry.path("results").get(0).path("action").asText());
        assertTrue(dry.path("results").get(0).path("new_job").isMissingNode(), dry.toString());
        assertEquals(1, get("/api/v1/admin/dlq?job=" + job).path("total").asInt(), "a dry run changes nothing");

        post("/api/v1/admin/pools/default/resume", "{}");
        JsonNode replay = post("/api/v1/admin/dlq/replay", "{\"id\": \"" + id + "\"}");
        assertEquals(1, replay.path("replayed").asInt(), replay.toString());
        String rerun = replay.path("results").get(0).path("new_job").asText();
        assertNotEquals(job, rerun);
        JsonNode done = cluster.awaitJob(rerun, WAIT);
        assertEquals("SUCCESS", done.path("status").asText(), done.toString());
        assertEquals("replayed", cluster.consumableText(rerun, "out"));
        assertEquals(0, get("/api/v1/admin/dlq?job=" + job).path("total").asInt(), "a replayed record is removed");
    }

    @Test
    @Order(4)
    void unreadableDeadLettersArePurgedAfterADryRun() throws Exception {
        for (int i = 0; i < 2; i++) {
            cluster.publish(cluster.keys().taskExchange(), "default", "{\"not\": \"a task " + i + "\"}");
        }
        Cluster.await("two dead letters", WAIT, () -> get("/api/v1/admin/dlq?reason=rejected").path("total").asInt() == 2);
        JsonNode list = get("/api/v1/admin/dlq?reason=rejected");
        for (JsonNode r : list.path("dead_letters")) {
            assertTrue(r.path("job").isMissingNode(), r.toString());
            assertTrue(r.path("body").asText().contains("a task"), r.toString());
        }
        JsonNode replay = post("/api/v1/admin/dlq/replay", "{\"reason\": \"rejected\"}");
        assertEquals(0, replay.path("replayed").asInt(), replay.toString());
        assertEquals("skip", replay.path("results").get(0).path("action").asText());

        JsonNode dry = post("/api/v1/admin/dlq/purge", "{\"reason\": \"rejected\", \"dry_run\": true}");
        assertEquals(2, dry.path("matched").asInt(), dry.toString());
        assertEquals(0, dry.path("purged").asInt());
        assertEquals(2, get("/api/v1/admin/dlq").path("total").asInt());

        JsonNode purged = post("/api/v1/admin/dlq/purge", "{\"reason\": \"rejected\"}");
        assertEquals(2, purged.path("purged").asInt(), purged.toString());
        assertEquals(0, get("/api/v1/admin/dlq").path("total").asInt());

        Cluster.Response bad = cluster.post("/api/v1/admin/dlq/purge", "{\"jbo\": \"x\"}", JSON);
        assertEquals(400, bad.status(), bad.toString());
        Cluster.Response everything = cluster.post("/api/v1/admin/dlq/purge", "{}", JSON);
        assertEquals(400, everything.status(), "an empty selector touches nothing: " + everything);
        assertTrue(everything.text().contains("all: true"), everything.toString());
    }

    @Test
    @Order(5)
    void drainWaitsForTheRunningAttemptWithoutInterruptingIt() {
        String job = cluster.submit("nap", "{\"inputs\": {\"raw\": \"zz\"}}");
        cluster.awaitTask(job, "nap", "RUNNING", WAIT);
        Cluster.await("the heartbeat to show the attempt", WAIT,
                () -> worker().path("in_flight_by_pool").path("default").asInt() == 1);

        JsonNode quick = post("/api/v1/admin/pools/default/drain?timeout=0", "{}");
        assertFalse(quick.path("drained").asBoolean(), quick.toString());
        assertEquals(1, quick.path("in_flight").asInt(), quick.toString());
        assertEquals(cluster.workerId(0), quick.path("remaining_workers").get(0).path("id").asText());

        JsonNode drained = post("/api/v1/admin/pools/default/drain?timeout=60", "{}");
        assertTrue(drained.path("drained").asBoolean(), drained.toString());
        assertEquals(0, drained.path("in_flight").asInt());
        JsonNode view = cluster.job(job);
        assertEquals("SUCCESS", Cluster.task(view, "nap").path("status").asText(), "drain let the attempt finish: " + view);
        assertEquals(1, Cluster.task(view, "nap").path("attempts").asInt(), view.toString());

        // while drained (paused), new work waits
        String waiting = cluster.submit("nap", "{\"inputs\": {\"raw\": \"later\"}}");
        Cluster.await("the new task to be queued", WAIT, () -> queue("default").path("ready").asInt() == 1);
        assertEquals("READY", Cluster.task(cluster.job(waiting), "nap").path("status").asText());
        post("/api/v1/admin/pools/default/resume", "{}");
        assertEquals("SUCCESS", cluster.awaitJob(waiting, WAIT).path("status").asText());
    }

    @Test
    @Order(6)
    void badPoolNamesAndTimeoutsAreRefused() {
        assertEquals(400, cluster.post("/api/v1/admin/pools/bad%20name/pause", "{}", JSON).status());
        assertEquals(400, cluster.post("/api/v1/admin/pools/default/drain?timeout=-1", "{}", JSON).status());
        assertEquals(400, cluster.get("/api/v1/admin/dlq?limit=0").status());
        assertNotNull(get("/api/v1/admin/queues").path("queues").get(0));
    }
}
