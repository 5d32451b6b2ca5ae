package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.retention.JobExpiry;
import dev.pipewright.overseer.retention.JobRemoval;
import dev.pipewright.overseer.runs.RunStore;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code DELETE /api/v1/jobs/{id}}: refused while the job runs (409, for its owner and admins alike),
 * 404 for another owner (as every request about someone else's job), 403 for a read token; once the
 * job ended its owner or an admin removes it at once and it answers 404. And a job of 3,000 tasks
 * expires in bounded steps: the retention sweeper, driven here one Redis call at a time with a batch
 * of 100 keys ({@code PW_RETENTION_BATCH}), removes at most 100 keys a call until nothing is left,
 * and the job reads as gone after the first call.
 */
class JobDeleteIT {
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final int BATCH = 100;
    private static final int FAN = 3_000;
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        // the overseer's own sweeper looks once at start, then not for an hour: the test drives one
        cluster = Cluster.builder().workers(1).concurrency(8)
                .overseerSetting("PW_RETENTION_BATCH", Integer.toString(BATCH))
                .overseerSetting("PW_RETENTION_INTERVAL", "1h")
                .start();
        cluster.postPipeline("""
                name: slow
                dataNodes: {o: {}}
                processNodes:
                  t: {output: [o], processor: sleep, config: {ms: 60000}}
                """);
        cluster.postPipeline("""
                name: quick
                dataNodes: {o: {}}
                processNodes:
                  t: {output: [o], processor: log}
                """);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String message(Cluster.Response r) {
        return r.json().path("error").path("message").asText();
    }

    /** Keys whose name starts with the job's key: the job hash and everything under it. */
    private static int jobKeys(String id) {
        String match = cluster.keys().job(new JobId(id)).replace("[", "\\[") + "*";
        int n = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = cluster.redis().scan(cursor, ScanArgs.Builder.matches(match).limit(5000));
            n += page.getKeys().size();
            cursor = page;
        } while (!cursor.isFinished());
        return n;
    }

    @Test
    void onlyAnEndedJobIsDeletedAndOnlyByItsOwnerOrAnAdmin() {
        String alice = cluster.createToken("alice-del", "submit", null);
        String bob = cluster.createToken("bob-del", "submit", null);
        String aliceReads = cluster.createToken("alice-reads", "read", "alice-del");
        Cluster.Response submitted = cluster.as(alice, "POST", "/api/v1/pipelines/slow/jobs", "{}");
        assertEquals(202, submitted.status(), submitted::toString);
        String job = submitted.json().path("id").asText();
        cluster.awaitTask(job, "t", "RUNNING", WAIT);

        for (String token : List.of(alice, cluster.adminToken())) {
            Cluster.Response running = cluster.as(token, "DELETE", "/api/v1/jobs/" + job, null);
            assertEquals(409, running.status(), running::toString);
            assertTrue(message(running).contains("job " + job + " is RUNNING; only an ended job"), message(running));
        }
        Cluster.Response other = cluster.as(bob, "DELETE", "/api/v1/jobs/" + job, null);
        assertEquals(404, other.status(), "someone else's job is not there for bob: " + other);
        assertTrue(message(other).startsWith("no job '" + job + "'"), message(other));
        assertEquals(403, cluster.as(aliceReads, "DELETE", "/api/v1/jobs/" + job, null).status(), "a read token changes nothing");
        assertEquals(200, cluster.get("/api/v1/jobs/" + job).status(), "refusals removed nothing");

        assertEquals(202, cluster.as(alice, "POST", "/api/v1/jobs/" + job + "/cancel", "{}").status());
        assertEquals("CANCELLED", cluster.awaitJob(job, WAIT).path("status").asText());
        assertEquals(404, cluster.as(bob, "DELETE", "/api/v1/jobs/" + job, null).status());
        Cluster.Response deleted = cluster.as(alice, "DELETE", "/api/v1/jobs/" + job, null);
        assertEquals(200, deleted.status(), deleted::toString);
        assertEquals(job, deleted.json().path("id").asText());
        assertTrue(deleted.json().path("deleted").asBoolean());
        Cluster.Response gone = cluster.get("/api/v1/jobs/" + job);
        assertEquals(404, gone.status(), "at once: " + gone);
        assertTrue(message(gone).contains("it does not exist, is another owner's, or it ended and was removed (deleted"), message(gone));
        assertEquals(404, cluster.as(alice, "DELETE", "/api/v1/jobs/" + job, null).status(), "a second delete finds nothing");
        assertEquals(0, jobKeys(job), "nothing of the job is left");
        assertEquals(null, cluster.redis().zscore(cluster.keys().expiry(new JobId(job).shard(cluster.keys().shards())), job),
                "nor its expiry");

        // an admin deletes anyone's ended job
        Cluster.Response quick = cluster.as(alice, "POST", "/api/v1/pipelines/quick/jobs", "{}");
        String ended = quick.json().path("id").asText();
        assertEquals("SUCCESS", cluster.awaitJob(ended, WAIT).path("status").asText());
        assertTrue(jobKeys(ended) > 1);
        Cluster.Response byAdmin = cluster.as(cluster.adminToken(), "DELETE", "/api/v1/jobs/" + ended, null);
        assertEquals(200, byAdmin.status(), byAdmin::toString);
        assertEquals(404, cluster.as(alice, "GET", "/api/v1/jobs/" + ended + "/logs", null).status());
        assertEquals(0, jobKeys(ended));
        assertTrue(cluster.overseerMetrics().contains("pipewright_jobs_removed_total{reason=\"deleted\""), "deletes are counted");
    }

    @Test
    void aBigJobExpiresInBoundedSteps() throws Exception {
        StringBuilder yaml = new StringBuilder("name: wide\ndataNodes:\n  seed: {}\n  hub: {}\n");
        for (int i = 0; i < FAN; i++) {
            yaml.append(String.format(Locale.ROOT, "  o%04d: {}%n", i));
        }
        yaml.append("processNodes:\n  fan: {input: [seed], output: [hub], processor: noop}\n");
        for (int i = 0; i < FAN; i++) {
            yaml.append(String.format(Locale.ROOT, "  c%04d: {input: [hub], output: [o%04d], processor: noop}%n", i, i));
        }
        cluster.postPipeline(yaml.toString());
        String job = cluster.submit("wide", "{\"inputs\": {\"seed\": \"s\"}}");
        JsonNode done = cluster.awaitJob(job, WAIT);
        assertEquals("SUCCESS", done.path("status").asText());

        Keys keys = cluster.keys();
        JobId id = new JobId(job);
        int shard = id.shard(keys.shards());
        Double due = cluster.redis().zscore(keys.expiry(shard), job);
        long redisNow = Long.parseLong(cluster.redis().time().get(0)) * 1000;
        assertTrue(due != null && due > redisNow + Duration.ofDays(6).toMillis() && due < redisNow + Duration.ofDays(8).toMillis(),
                "kept for the default 7 days from its end: " + due);
        cluster.redis().zadd(keys.expiry(shard), 0, job); // its retention has passed

        RedisClient client = RedisClient.create(RedisURI.create(TestServices.redisUri()));
        try (StatefulRedisConnection<byte[], byte[]> bytes = client.connect(ByteArrayCodec.INSTANCE);
             StatefulRedisConnection<String, String> strings = client.connect()) {
            Scripts scripts = new Scripts(RedisLink.of(bytes));
            StateGateway state = new StateGateway(keys, RedisLink.of(bytes), Duration.ofSeconds(30));
            JobRemoval removal = new JobRemoval(keys, strings.async(), state, new RunStore(keys, strings.async(), scripts),
                    new OverseerMetrics(new SimpleMeterRegistry()), BATCH);
            JobExpiry expiry = new JobExpiry(keys, strings.async(), removal, () -> List.of(shard), Duration.ofHours(1), 1);

            int left = jobKeys(job);
            int before = left;
            assertTrue(before > 2 * FAN, "a task hash and a satisfied-parents set per child: " + before);
            int calls = 0;
            List<Long> micros = new ArrayList<>();
            while (true) {
                long t0 = System.nanoTime();
                JobExpiry.Swept s = expiry.sweep(shard, 1);
                micros.add((System.nanoTime() - t0) / 1000);
                if (s.calls() == 0) {
                    break; // nothing purging, nothing due
                }
                calls++;
                assertEquals(1, s.calls(), "a budget of one call");
                assertTrue(s.mostKeysInACall() <= BATCH, "the script's own count: " + s);
                int now = jobKeys(job);
                assertTrue(left - now <= BATCH, "call " + calls + " removed " + (left - now) + " keys");
                if (calls == 1) {
                    assertEquals(404, cluster.get("/api/v1/jobs/" + job).status(), "gone for readers after the first call");
                }
                left = now;
                assertTrue(calls < 10 * before, "no progress");
            }
            assertEquals(0, jobKeys(job), "nothing of the job is left");
            assertTrue(cluster.redis().exists(keys.purging(shard)) == 0, "no removal under way");
            assertTrue(calls >= before / BATCH, calls + " calls for " + before + " keys");
            micros.sort(null);
            System.out.printf("JobDeleteIT: %d keys of a %d-task job removed in %d calls of at most %d key names; "
                            + "per sweep call (with its round trips) median %d µs, max %d µs%n",
                    before, FAN + 1, calls, BATCH, micros.get(micros.size() / 2), micros.get(micros.size() - 1));
        } finally {
            client.shutdown();
        }
    }
}
