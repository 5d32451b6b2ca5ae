package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ended jobs expire after {@code PW_JOB_RETENTION} (2 s here): jobs that succeeded, failed after a
 * retried attempt (two attempts' logs), were cancelled before they started, ran in a run, and were
 * submitted with an {@code Idempotency-Key}, some with large consumables, all leave no key behind:
 * the namespace holds what it held before they were submitted (and the shards' streams), every
 * request about them answers 404 saying they may have expired, their run still counts them, their
 * idempotency key is free again, and a pipeline with a longer {@code retention} of its own keeps its
 * job. Redis's {@code used_memory} is printed before, at the peak and after (other tests share this
 * Redis, so the key count is the assertion, not the memory).
 */
class RetentionIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** Keys of the shards' plumbing that appear with the first dispatch and stay, empty. */
    private static final Pattern SHARD_STREAMS = Pattern.compile(".*:\\{s\\d+}:(outbox|events)");
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(4)
                .overseerSetting("PW_JOB_RETENTION", "2s")
                .overseerSetting("PW_RETENTION_INTERVAL", "300ms")
                .start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The namespace's keys, without those that change on their own (heartbeats, token use). */
    private static Set<String> keys() {
        return new TreeSet<>(cluster.snapshot().keySet());
    }

    private static long usedMemory() {
        String info = cluster.redis().info("memory");
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).trim());
            }
        }
        throw new AssertionError("no used_memory in " + info);
    }

    private static String submitWithKey(String pipeline, String body, String key) {
        Cluster.Response r = cluster.send(HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/" + pipeline + "/jobs"))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(202, r.status(), r::toString);
        return r.json().path("id").asText();
    }

    @Test
    void endedJobsLeaveNothingBehindOnceTheirRetentionPassed() throws Exception {
        cluster.postPipeline("""
                name: kept_briefly
                parameters:
                  n: {type: string, default: "1"}
                dataNodes:
                  seed: {}
                  mid: {}
                  out: {source: "retention/${n}.txt"}
                processNodes:
                  first: {input: [seed], output: [mid], processor: log, config: {message: "first of ${n}"}}
                  second: {input: [mid], output: [out], processor: log, config: {fail_times: 1}, retries: {max: 2, initial: 10ms}}
                """);
        cluster.postPipeline("""
                name: kept_longer
                retention: 1h
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t: {input: [a], output: [b], processor: log}
                """);
        assertEquals("1h", cluster.get("/api/v1/pipelines/kept_longer").json().path("retention").asText(), "the pipeline shows its retention");
        assertTrue(cluster.get("/api/v1/pipelines/kept_briefly").json().path("retention").isNull(), "none of its own: PW_JOB_RETENTION");
        Cluster.Response run = cluster.post("/api/v1/runs", "{\"pipeline_id\": \"kept_briefly\", \"name\": \"retention\"}", "application/json");
        assertEquals(201, run.status(), run::toString);
        String runId = run.json().path("id").asText();

        Set<String> baseline = keys();
        long memoryBefore = usedMemory();
        String big = "x".repeat(256 * 1024);
        List<String> expiring = new ArrayList<>();
        expiring.add(cluster.submit("kept_briefly", "{\"inputs\": {\"seed\": \"" + big + "\"}, \"parameters\": {\"n\": \"a\"}}"));
        expiring.add(cluster.submit("kept_briefly", "{\"inputs\": {\"seed\": \"small\"}, \"parameters\": {\"n\": \"b\"}}"));
        String keyed = submitWithKey("kept_briefly", "{\"inputs\": {\"seed\": \"" + big + "\"}, \"parameters\": {\"n\": \"c\"}}", "retention-it-1");
        expiring.add(keyed);
        String unstarted = cluster.submit("kept_briefly", "{\"inputs\": {\"seed\": \"never\"}, \"start\": false}");
        expiring.add(unstarted);
        Cluster.Response inRun = cluster.post("/api/v1/runs/" + runId + "/jobs", "{\"inputs\": {\"seed\": \"" + big + "\"}, \"parameters\": {\"n\": \"d\"}}",
                "application/json");
        assertEquals(202, inRun.status(), inRun::toString);
        expiring.add(inRun.json().path("id").asText());
        Cluster.Response alsoInRun = cluster.post("/api/v1/runs/" + runId + "/jobs", "{\"inputs\": {\"seed\": \"small\"}, \"parameters\": {\"n\": \"e\"}}",
                "application/json");
        assertEquals(202, alsoInRun.status(), alsoInRun::toString);
        expiring.add(alsoInRun.json().path("id").asText());
        String longer = cluster.submit("kept_longer", "{\"inputs\": {\"a\": \"stays\"}}");

        assertEquals(202, cluster.post("/api/v1/jobs/" + unstarted + "/cancel", "{}", "application/json").status());
        Map<String, String> ended = new java.util.LinkedHashMap<>();
        ended.put(expiring.get(0), cluster.awaitJob(expiring.get(0), WAIT).path("status").asText());
        // read at once: in 2 s it is gone
        JsonNode logs = cluster.logs(expiring.get(0));
        assertTrue(logs.toString().contains("failing attempt 1 on purpose"), "two attempts' logs: " + logs);
        for (String id : expiring) {
            ended.put(id, cluster.awaitJob(id, WAIT).path("status").asText());
        }
        JsonNode longerJob = cluster.awaitJob(longer, WAIT);
        assertEquals(java.time.Instant.parse(longerJob.path("finished_at").asText()).plus(java.time.Duration.ofHours(1)).toString(),
                longerJob.path("expires_at").asText(), "an ended job says when it is removed: its end plus its pipeline's retention");
        long memoryPeak = usedMemory();
        assertEquals("CANCELLED", ended.get(unstarted));
        ended.forEach((id, status) -> assertTrue(id.equals(unstarted) || status.equals("SUCCESS"), id + " " + status));
        assertTrue(Files.exists(cluster.dataArea().resolve("retention/a.txt")), "the output's source was written to the data store");

        // gone within the retention plus a few sweeps
        for (String id : expiring) {
            Cluster.await("job " + id + " to expire", Duration.ofSeconds(30), () -> cluster.get("/api/v1/jobs/" + id).status() == 404);
        }
        Cluster.await("every removal to finish", Duration.ofSeconds(30), () -> {
            for (String k : keys()) {
                if (k.endsWith(":purging") || expiring.stream().anyMatch(k::contains)
                        || k.endsWith(":expiry") && !Set.of(longer).containsAll(cluster.redis().zrange(k, 0, -1))) {
                    return false;
                }
            }
            return true;
        });
        long memoryAfter = usedMemory();
        System.out.printf("RetentionIT used_memory: before %,d B, peak %,d B (+%,d), after expiry %,d B (%+,d against before)%n",
                memoryBefore, memoryPeak, memoryPeak - memoryBefore, memoryAfter, memoryAfter - memoryBefore);

        Set<String> left = keys();
        left.removeAll(baseline);
        // the job kept longer keeps its keys and its entries in its shard's indexes and its pipeline's
        dev.pipewright.protocol.keys.JobId longerId = new dev.pipewright.protocol.keys.JobId(longer);
        String longerShard = cluster.keys().shardPrefix(longerId.shard(cluster.keys().shards()));
        Set<String> longers = Set.of(longerShard + "expiry", longerShard + "jobs", cluster.keys().pipelineJobs("kept_longer"));
        left.removeIf(k -> SHARD_STREAMS.matcher(k).matches() || k.contains(longer) || longers.contains(k));
        assertEquals(Set.of(), left, "keys the expired jobs left behind");
        String longerKey = cluster.keys().job(longerId);
        assertTrue(cluster.redis().exists(longerKey) == 1, "a pipeline's own longer retention keeps its job");
        assertEquals(200, cluster.get("/api/v1/jobs/" + longer).status());

        for (String id : expiring) {
            for (String sub : List.of("", "/tasks", "/consumables", "/consumables/mid", "/logs", "/graph")) {
                Cluster.Response r = cluster.get("/api/v1/jobs/" + id + sub);
                assertEquals(404, r.status(), sub + ": " + r);
                String message = r.json().path("error").path("message").asText();
                assertTrue(message.contains("no job '" + id + "'") && message.contains("expired after its retention period"), message);
            }
        }
        Set<String> listed = new TreeSet<>();
        cluster.get("/api/v1/jobs?page_size=500").json().path("jobs").forEach(j -> listed.add(j.path("id").asText()));
        assertEquals(Set.of(longer), listed, "only the job kept longer is listed");
        assertEquals(0, cluster.get("/api/v1/jobs?pipeline=kept_briefly").json().path("jobs").size(), "the pipeline's job list");

        // the run counts its two jobs, never read before they expired, as it would have
        JsonNode counted = cluster.get("/api/v1/runs/" + runId).json();
        assertEquals(2, counted.path("num_jobs").asInt(), counted::toPrettyString);
        assertEquals(2, counted.path("num_successful_jobs").asInt(), counted::toPrettyString);
        assertEquals(0, counted.path("num_running_jobs").asInt(), counted::toPrettyString);
        assertEquals("COMPLETED", counted.path("status").asText(), counted::toPrettyString);
        assertEquals(0, cluster.get("/api/v1/runs/" + runId + "/jobs").json().path("jobs").size(), "the run's job list");
        assertTrue(cluster.get("/api/v1/runs").json().toString().contains(runId), "the run is still listed");

        // the idempotency key went with its job: the same request makes a new one
        String again = submitWithKey("kept_briefly", "{\"inputs\": {\"seed\": \"" + big + "\"}, \"parameters\": {\"n\": \"c\"}}", "retention-it-1");
        assertTrue(!again.equals(keyed), "a new job, not the removed one");
        cluster.awaitJob(again, WAIT);

        // the data store keeps what outputs' sources named: the pipeline's data sets, read by later jobs
        assertTrue(Files.exists(cluster.dataArea().resolve("retention/a.txt")), "the data store is left alone");
        assertTrue(cluster.overseerMetrics().contains("pipewright_jobs_removed_total{reason=\"expired\""), "removals are counted");
    }
}
