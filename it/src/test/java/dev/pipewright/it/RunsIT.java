package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cli;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.protocol.keys.RunId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runs walkthrough, as users of a REST runs API know it: create a run with priority and tags, submit two jobs with parameters and
 * infra config, list runs filtered by status and by priority, read the run's counters, list its
 * jobs, read a job — through the raw HTTP API and through the CLI.
 */
class RunsIT {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);
    private static final String PIPELINE = """
            name: toy
            parameters:
              x: integer
              y: {type: integer, default: 1}
            dataNodes:
              first:
              second:
            processNodes:
              compute:
                output: [first]
                processor: check
                retries: 0
              report:
                input: [first]
                output: [second]
                processor: identity
            """;

    @TempDir
    static Path registryDir;
    static Cluster cluster;
    static Cli cli;

    @BeforeAll
    static void start() throws Exception {
        // fails when x is not positive: one job of each kind gives a PARTIALLY_COMPLETED run
        Path registry = registryDir.resolve("processors.yaml");
        Files.writeString(registry, """
                processors:
                  check:
                    command: [sh, -c, 'echo "checking x=$PW_PARAM_X"; test "$PW_PARAM_X" -gt 0 || { echo "x must be positive" >&2; exit 3; }; echo "$PW_PARAM_X+$PW_PARAM_Y" > "$PW_OUTPUT_DIR/first"']
                  gate:
                    command: [sh, -c, 'while [ ! -e "$PW_PARAM_GATE" ]; do sleep 0.05; done; echo open > "$PW_OUTPUT_DIR/out"']
                """);
        cluster = Cluster.builder().workers(1).concurrency(4).processorsFile(registry).start();
        cli = new Cli(cluster);
        cluster.postPipeline(PIPELINE);
        cluster.postPipeline("""
                name: gated
                parameters:
                  gate: string
                dataNodes:
                  out:
                processNodes:
                  wait:
                    output: [out]
                    processor: gate
                """);
    }

    private static String createRun(String json) {
        Cluster.Response r = postJson("/api/v1/runs", json);
        assertEquals(201, r.status(), r::toString);
        return r.json().path("id").asText();
    }

    private static String submitToRun(String runId, String json) {
        Cluster.Response r = postJson("/api/v1/runs/" + runId + "/jobs", json);
        assertEquals(202, r.status(), r::toString);
        return r.json().path("id").asText();
    }

    private static JsonNode run(String runId) {
        return cluster.get("/api/v1/runs/" + runId).json();
    }

    @Test
    void aRunIsRunningErroredOrCancelledAsItsJobsAre() throws Exception {
        // RUNNING: a job of it runs (its task waits for a file)
        String running = createRun("{\"pipeline_id\": \"gated\", \"tags\": {\"walk\": \"statuses\"}}");
        Path gate = registryDir.resolve("gate-" + java.util.UUID.randomUUID());
        String waiting = submitToRun(running, "{\"parameters\": {\"gate\": \"" + gate + "\"}}");
        cluster.awaitTask(waiting, "wait", "RUNNING", JOB_TIMEOUT);
        awaitRunStatus(running, "RUNNING");
        assertEquals(1, run(running).path("num_running_jobs").asInt());
        // still RUNNING once that job has ended while another of it waits to start
        Files.writeString(gate, "open");
        assertEquals("SUCCESS", cluster.awaitJob(waiting, JOB_TIMEOUT).path("status").asText());
        String built = submitToRun(running, "{\"parameters\": {\"gate\": \"" + gate + "\"}, \"start\": false}");
        assertEquals("RUNNING", run(running).path("status").asText(), "one ended, one built and not started");
        assertEquals(202, postJson("/api/v1/jobs/" + built + "/cancel", "").status());
        awaitRunStatus(running, "PARTIALLY_COMPLETED");

        // ERRORED: every job of it failed
        String errored = createRun("{\"pipeline_id\": \"toy\", \"tags\": {\"walk\": \"statuses\"}}");
        String f1 = submitToRun(errored, "{\"parameters\": {\"x\": -1}}");
        String f2 = submitToRun(errored, "{\"parameters\": {\"x\": -2}}");
        assertEquals("FAILED", cluster.awaitJob(f1, JOB_TIMEOUT).path("status").asText());
        assertEquals("FAILED", cluster.awaitJob(f2, JOB_TIMEOUT).path("status").asText());
        awaitRunStatus(errored, "ERRORED");
        assertEquals(2, run(errored).path("num_failed_jobs").asInt());
        assertEquals(0, run(errored).path("num_successful_jobs").asInt());

        // CANCELLED: every job of it was cancelled
        String cancelled = createRun("{\"pipeline_id\": \"toy\", \"tags\": {\"walk\": \"statuses\"}}");
        String c1 = submitToRun(cancelled, "{\"parameters\": {\"x\": 1}, \"start\": false}");
        assertEquals("PENDING", run(cancelled).path("status").asText(), "a built job only: pending");
        assertEquals(1, run(cancelled).path("num_jobs").asInt());
        assertEquals(202, postJson("/api/v1/jobs/" + c1 + "/cancel", "").status());
        awaitRunStatus(cancelled, "CANCELLED");
        assertEquals(1, run(cancelled).path("num_cancelled_jobs").asInt());

        assertEquals(Set.of(errored), ids(cluster.get("/api/v1/runs?status=ERRORED&tag=walk:statuses").json().path("runs")));
        assertEquals(Set.of(cancelled), ids(cluster.get("/api/v1/runs?status=CANCELLED&tag=walk:statuses").json().path("runs")));
        assertEquals(Set.of(running), ids(cluster.get("/api/v1/runs?status=PARTIALLY_COMPLETED&tag=walk:statuses").json().path("runs")));
        assertEquals(Set.of(errored, cancelled), ids(cluster.get("/api/v1/runs?status=ERRORED,CANCELLED&tag=walk:statuses").json().path("runs")));
        JsonNode cliErrored = cli.ok("runs", "list", "--status", "ERRORED", "--tag", "walk:statuses", "--json").json();
        assertEquals(Set.of(errored), ids(cliErrored.path("runs")));
    }

    @Test
    void belowAdminAnOwnerFilterNamingSomeoneElseIsRefusedAndARunShowsOnlyYourJobs() {
        String alice = cluster.createToken("alice-runs", "submit", "alice-r");
        Cluster.Response made = cluster.as(alice, "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"tags\": {\"walk\": \"owners\"}}");
        assertEquals(201, made.status(), made::toString);
        String runId = made.json().path("id").asText();
        Cluster.Response own = cluster.as(alice, "POST", "/api/v1/runs/" + runId + "/jobs", "{\"parameters\": {\"x\": 1}, \"start\": false}");
        assertEquals(202, own.status(), own::toString);
        String aliceJob = own.json().path("id").asText();
        String adminJob = submitToRun(runId, "{\"parameters\": {\"x\": 2}, \"start\": false}"); // an admin sees every run

        for (String path : List.of("/api/v1/runs?owner=admin", "/api/v1/jobs?owner=admin", "/api/v1/runs/" + runId + "/jobs?owner=admin",
                "/api/v1/runs?owner=alice-r,admin")) {
            Cluster.Response r = cluster.as(alice, "GET", path, null);
            assertEquals(403, r.status(), path + ": " + r);
            assertEquals("forbidden", r.json().path("error").path("code").asText());
            assertTrue(r.json().path("error").path("message").asText().contains("'admin' is not your owner"), r::toString);
        }
        assertEquals(Set.of(runId), ids(cluster.as(alice, "GET", "/api/v1/runs?owner=alice-r&tag=walk:owners", null).json().path("runs")));
        assertEquals(Set.of(aliceJob), ids(cluster.as(alice, "GET", "/api/v1/jobs?owner=alice-r", null).json().path("jobs")));
        // the run's listing shows what GET /jobs/{id} would: her job, not the admin's
        assertEquals(Set.of(aliceJob), ids(cluster.as(alice, "GET", "/api/v1/runs/" + runId + "/jobs", null).json().path("jobs")));
        assertEquals(404, cluster.as(alice, "GET", "/api/v1/jobs/" + adminJob, null).status());
        assertEquals(Set.of(aliceJob, adminJob), ids(cluster.get("/api/v1/runs/" + runId + "/jobs").json().path("jobs")));
        assertEquals(2, run(runId).path("num_jobs").asInt(), "the counters count every job of the run");
        assertEquals(Set.of(runId), ids(cluster.get("/api/v1/runs?owner=alice-r").json().path("runs")), "an admin filters by any owner");
    }

    @Test
    void theCountersAreExactForJobsEndingInEveryWay() throws Exception {
        String runId = createRun("{\"pipeline_id\": \"toy\", \"tags\": {\"counting\": \"mixed\"}}");
        List<String> ended = new ArrayList<>();
        for (int x : new int[] {1, 2, 3, -1, -2}) {
            ended.add(submitToRun(runId, "{\"parameters\": {\"x\": " + x + "}}"));
        }
        String cancelled = submitToRun(runId, "{\"parameters\": {\"x\": 4}, \"start\": false}");
        assertEquals(202, postJson("/api/v1/jobs/" + cancelled + "/cancel", "").status());
        ended.add(cancelled);
        String waiting = submitToRun(runId, "{\"parameters\": {\"x\": 5}, \"start\": false}");
        long lastFinished = 0;
        for (String j : ended) {
            lastFinished = Math.max(lastFinished, cluster.awaitJob(j, JOB_TIMEOUT).path("finished_us").asLong());
        }

        JsonNode run = run(runId);
        assertCounters(run, 7, 3, 2, 1, 0, "RUNNING"); // one job built and not started
        RunId id = new RunId(runId);
        long touched = Long.parseLong(cluster.redis().hget(cluster.keys().run(id), "updated")) * 1000;
        assertEquals(Math.max(Math.max(lastFinished, cluster.job(waiting).path("created_us").asLong()), touched),
                micros(run.path("last_updated_at").asText()), "the latest end, creation or job submission");
        assertEquals(Set.of(waiting), cluster.redis().smembers(cluster.keys().runOpen(id)), "only the job that has not ended is read again");
        assertEquals("3", cluster.redis().hget(cluster.keys().runEnded(id), "SUCCESS"));
        assertCounters(run(runId), 7, 3, 2, 1, 0, "RUNNING"); // read again: nothing counted twice

        assertEquals(202, postJson("/api/v1/jobs/" + waiting + "/cancel", "").status());
        awaitRunStatus(runId, "PARTIALLY_COMPLETED");
        run = run(runId);
        assertCounters(run, 7, 3, 2, 2, 0, "PARTIALLY_COMPLETED");
        assertEquals(cluster.job(waiting).path("finished_us").asLong(), micros(run.path("last_updated_at").asText()));
        assertEquals(0, cluster.redis().scard(cluster.keys().runOpen(id)));
        JsonNode listed = cluster.get("/api/v1/runs?tag=counting:mixed").json().path("runs");
        assertEquals(1, listed.size());
        assertCounters(listed.get(0), 7, 3, 2, 2, 0, "PARTIALLY_COMPLETED");
    }

    @Test
    void aRunOfMoreThanTenThousandJobsIsCountedExactlyThroughConcurrentReads() throws Exception {
        String runId = createRun("{\"pipeline_id\": \"toy\", \"tags\": {\"counting\": \"big\"}}");
        RunId id = new RunId(runId);
        long finished = cluster.redisTimeMicros();
        Map<String, List<String>> jobs = storeJobs(id, true, Map.of("SUCCESS", 6_000, "FAILED", 3_000, "CANCELLED", 1_200, "RUNNING", 250,
                "READY", 50), finished);

        // several readers settle the same 10,200 ended jobs at once: each answer is exact, each job counted once
        for (JsonNode r : concurrentReads(runId, 4)) {
            assertCounters(r, 10_500, 6_000, 3_000, 1_200, 250, "RUNNING");
        }
        Map<String, String> tallies = cluster.redis().hgetall(cluster.keys().runEnded(id));
        assertEquals(List.of("6000", "3000", "1200"), List.of(tallies.get("SUCCESS"), tallies.get("FAILED"), tallies.get("CANCELLED")));
        assertEquals(300 + MISSING_JOBS, cluster.redis().scard(cluster.keys().runOpen(id)), "the running and waiting jobs, and the ids of no job");
        assertCounters(run(runId), 10_500, 6_000, 3_000, 1_200, 250, "RUNNING");

        // the rest end; the readers racing again still count each once
        long later = finished + 10_000_000;
        for (String j : jobs.get("RUNNING")) {
            cluster.redis().hset(cluster.jobKey(j), Map.of("status", "SUCCESS", "finished", Long.toString(later)));
        }
        for (String j : jobs.get("READY")) {
            cluster.redis().hset(cluster.jobKey(j), Map.of("status", "CANCELLED", "finished", Long.toString(later - 5)));
        }
        for (JsonNode r : concurrentReads(runId, 2)) {
            assertCounters(r, 10_500, 6_250, 3_000, 1_250, 0, "PARTIALLY_COMPLETED");
            assertEquals(later, micros(r.path("last_updated_at").asText()));
        }
        JsonNode listed = cluster.get("/api/v1/runs?tag=counting:big").json().path("runs");
        assertCounters(listed.get(0), 10_500, 6_250, 3_000, 1_250, 0, "PARTIALLY_COMPLETED");
        assertEquals(MISSING_JOBS, cluster.redis().scard(cluster.keys().runOpen(id)));
    }

    @Test
    void aRunStoredBeforeItsOpenSetWasKeptIsCountedFromItsJobIndex() throws Exception {
        String runId = createRun("{\"pipeline_id\": \"toy\", \"tags\": {\"counting\": \"old\"}}");
        RunId id = new RunId(runId);
        cluster.redis().del(cluster.keys().runEnded(id)); // as a run was stored before: its job index only
        long finished = cluster.redisTimeMicros();
        storeJobs(id, false, Map.of("SUCCESS", 7_000, "FAILED", 4_000, "RUNNING", 20, "PENDING", 10), finished);
        assertEquals(0, cluster.redis().exists(cluster.keys().runOpen(id)));

        for (JsonNode r : concurrentReads(runId, 2)) {
            assertCounters(r, 11_030, 7_000, 4_000, 0, 20, "RUNNING");
        }
        assertEquals(30 + MISSING_JOBS, cluster.redis().scard(cluster.keys().runOpen(id)));
        assertTrue(cluster.redis().hexists(cluster.keys().runEnded(id), "since"));
        assertCounters(run(runId), 11_030, 7_000, 4_000, 0, 20, "RUNNING");
    }

    /** Ids in a run's index and open set that are no job (recorded, then refused or never created): counted as nothing. */
    private static final int MISSING_JOBS = 7;

    /**
     * Jobs written straight into Redis, as cheap as a test of counting needs: in the run's job index
     * (and its open set, as the API records them now, when {@code open}), each a job hash with only
     * its status and times; plus {@link #MISSING_JOBS} ids of no job. The latest end is {@code finishedUs}.
     */
    private static Map<String, List<String>> storeJobs(RunId run, boolean open, Map<String, Integer> byState, long finishedUs) {
        var redis = cluster.redis();
        Map<String, List<String>> out = new java.util.TreeMap<>();
        List<String> all = new ArrayList<>();
        int n = 0;
        for (Map.Entry<String, Integer> e : new java.util.TreeMap<>(byState).entrySet()) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < e.getValue(); i++) {
                String job = dev.pipewright.protocol.keys.JobId.random().value() + String.format("%05d", n++);
                Map<String, String> h = new java.util.HashMap<>(Map.of("status", e.getKey(), "created", Long.toString(finishedUs - 2_000_000),
                        "run", run.value()));
                if (!e.getKey().equals("READY") && !e.getKey().equals("PENDING")) {
                    h.put("started", Long.toString(finishedUs - 1_000_000));
                }
                if (Set.of("SUCCESS", "FAILED", "CANCELLED").contains(e.getKey())) {
                    h.put("finished", Long.toString(finishedUs - i % 1000));
                }
                redis.hset(cluster.jobKey(job), h);
                ids.add(job);
            }
            out.put(e.getKey(), ids);
            all.addAll(ids);
        }
        for (int i = 0; i < MISSING_JOBS; i++) {
            all.add(dev.pipewright.protocol.keys.JobId.random().value() + "x" + i);
        }
        long now = System.currentTimeMillis();
        for (int from = 0; from < all.size(); from += 1000) {
            List<String> slice = all.subList(from, Math.min(all.size(), from + 1000));
            if (open) {
                redis.sadd(cluster.keys().runOpen(run), slice.toArray(String[]::new));
            }
            redis.zadd(cluster.keys().runJobs(run), slice.stream().map(j -> io.lettuce.core.ScoredValue.just(now, j))
                    .toArray(io.lettuce.core.ScoredValue[]::new));
        }
        return out;
    }

    /** The run as that many readers read it at the same moment. */
    private static List<JsonNode> concurrentReads(String runId, int readers) throws Exception {
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<JsonNode>> reads = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < readers; i++) {
                reads.add(pool.submit(() -> {
                    go.await();
                    Cluster.Response r = cluster.get("/api/v1/runs/" + runId);
                    assertEquals(200, r.status(), r::toString);
                    return r.json();
                }));
            }
            go.countDown();
            List<JsonNode> out = new ArrayList<>();
            for (var f : reads) {
                out.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            return out;
        }
    }

    private static void assertCounters(JsonNode run, int jobs, int succeeded, int failed, int cancelled, int running, String status) {
        assertEquals(List.of(jobs, succeeded, failed, cancelled, running, status),
                List.of(run.path("num_jobs").asInt(), run.path("num_successful_jobs").asInt(), run.path("num_failed_jobs").asInt(),
                        run.path("num_cancelled_jobs").asInt(), run.path("num_running_jobs").asInt(), run.path("status").asText()),
                "jobs, succeeded, failed, cancelled, running, status of " + run);
    }

    private static long micros(String instant) {
        java.time.Instant t = java.time.Instant.parse(instant);
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1000;
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Cluster.Response postJson(String path, String json) {
        return cluster.post(path, json, "application/json");
    }

    private static void awaitRunStatus(String runId, String status) {
        Cluster.await("run " + runId + " to be " + status, JOB_TIMEOUT,
                () -> status.equals(cluster.get("/api/v1/runs/" + runId).json().path("status").asText()));
    }

    private static Set<String> ids(JsonNode list) {
        Set<String> out = new HashSet<>();
        list.forEach(n -> out.add(n.path("id").asText()));
        return out;
    }

    @Test
    void runWalkthroughOverHttp() {
        Cluster.Response created = postJson("/api/v1/runs", """
                {"pipeline_id": "toy", "name": "TEST_RUN", "priority": "high", "tags": {"team": "genomics", "org_id": "", "walk": "http"},
                 "domain_context": {"source": "migration", "repo_version": 168412063841}}
                """);
        assertEquals(201, created.status(), created::toString);
        JsonNode run = created.json();
        String runId = run.path("id").asText();
        assertEquals("TEST_RUN", run.path("name").asText());
        assertEquals("toy", run.path("pipeline_id").asText());
        assertEquals("high", run.path("priority").asText());
        assertEquals("genomics", run.path("tags").path("team").asText());
        assertEquals(168412063841L, run.path("domain_context").path("repo_version").asLong());
        assertEquals("PENDING", run.path("status").asText());
        assertEquals(0, run.path("num_jobs").asInt());
        assertEquals("admin", run.path("owner").asText(), "the owner of the cluster's admin token");

        Cluster.Response good = postJson("/api/v1/runs/" + runId + "/jobs", """
                {"parameters": {"x": 12, "y": 13}, "config": {"infra": {"cpu": 1, "memory": "2Gi", "storage": "120Gi"}}, "job_name": "job#0"}
                """);
        assertEquals(202, good.status(), good::toString);
        String goodJob = good.json().path("id").asText();
        assertEquals(runId, good.json().path("run_id").asText());
        Cluster.Response bad = postJson("/api/v1/runs/" + runId + "/jobs", """
                {"parameters": {"x": -1}, "config": {"infra": {"cpu": 0.5, "memory": "512Mi"}}}
                """);
        assertEquals(202, bad.status(), bad::toString);
        String badJob = bad.json().path("id").asText();

        assertEquals("SUCCESS", cluster.awaitJob(goodJob, JOB_TIMEOUT).path("status").asText());
        assertEquals("FAILED", cluster.awaitJob(badJob, JOB_TIMEOUT).path("status").asText());
        awaitRunStatus(runId, "PARTIALLY_COMPLETED");

        // another run that stays PENDING (no jobs), low priority: the filters tell them apart
        String lowRun = postJson("/api/v1/runs", "{\"pipeline_id\": \"toy\", \"priority\": \"low\", \"tags\": {\"walk\": \"http\"}}").json().path("id").asText();

        JsonNode partial = cluster.get("/api/v1/runs?status=PARTIALLY_COMPLETED&tag=walk:http").json();
        assertEquals(Set.of(runId), ids(partial.path("runs")));
        assertTrue(partial.has("next_page_after"));
        assertEquals(Set.of(lowRun), ids(cluster.get("/api/v1/runs?priority=low&tag=walk:http").json().path("runs")));
        assertEquals(Set.of(runId), ids(cluster.get("/api/v1/runs?priority=high&tag=walk:http").json().path("runs")));
        assertEquals(Set.of(runId), ids(cluster.get("/api/v1/runs?tag=team:genomics").json().path("runs")));
        assertEquals(Set.of(runId, lowRun), ids(cluster.get("/api/v1/runs?pipeline=toy&owner=admin&tag=walk").json().path("runs")));

        JsonNode counters = cluster.get("/api/v1/runs/" + runId).json();
        assertEquals(2, counters.path("num_jobs").asInt());
        assertEquals(1, counters.path("num_successful_jobs").asInt());
        assertEquals(1, counters.path("num_failed_jobs").asInt());
        assertEquals("PARTIALLY_COMPLETED", counters.path("status").asText());
        assertNotNull(counters.path("last_updated_at").textValue());

        JsonNode jobs = cluster.get("/api/v1/runs/" + runId + "/jobs").json();
        assertEquals(List.of(badJob, goodJob), List.of(jobs.path("jobs").get(0).path("id").asText(), jobs.path("jobs").get(1).path("id").asText()),
                "newest first");
        assertNull(jobs.path("next_page_after").textValue());
        JsonNode failedOnly = cluster.get("/api/v1/runs/" + runId + "/jobs?status=FAILED").json();
        assertEquals(Set.of(badJob), ids(failedOnly.path("jobs")));

        JsonNode job = cluster.job(goodJob);
        assertEquals("job#0", job.path("name").asText());
        assertEquals(runId, job.path("run_id").asText());
        assertEquals("high", job.path("priority").asText(), "a run's jobs carry its priority");
        assertEquals(12, job.path("parameters").path("x").asInt());
        assertEquals(13, job.path("parameters").path("y").asInt());
        assertEquals(1, job.path("config").path("infra").path("cpu").asInt());
        assertEquals("2Gi", job.path("config").path("infra").path("memory").asText());
        assertEquals("120Gi", job.path("config").path("infra").path("storage").asText());
        assertEquals("2/2", job.path("progress").asText());
        assertTrue(job.path("finished").asBoolean());
        assertFalse(job.path("errored").asBoolean());
        assertTrue(job.path("stage").isArray());
        assertEquals("high", cluster.redis().hget(cluster.jobKey(goodJob), "priority"), "the engine reads the priority from the job hash");
        JsonNode failed = cluster.job(badJob);
        assertTrue(failed.path("errored").asBoolean());
        assertEquals("2/2", failed.path("progress").asText(), "the failed task and its skipped child have both ended");
        assertEquals(0.5, failed.path("config").path("infra").path("cpu").asDouble());

        // the jobs listing filters too
        assertEquals(Set.of(badJob), ids(cluster.get("/api/v1/jobs?run=" + runId + "&status=FAILED").json().path("jobs")));
        assertTrue(ids(cluster.get("/api/v1/jobs?pipeline=toy&priority=high").json().path("jobs")).containsAll(Set.of(goodJob, badJob)));
        assertTrue(ids(cluster.get("/api/v1/jobs?pipeline=toy&priority=low,medium").json().path("jobs")).stream()
                .noneMatch(j -> j.equals(goodJob) || j.equals(badJob)));
    }

    @Test
    void paginationWalksEveryRunOnceNewestFirst() {
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            created.add(0, postJson("/api/v1/runs", "{\"pipeline_id\": \"toy\", \"priority\": \"medium\", \"tags\": {\"batch\": \"pages\"}}")
                    .json().path("id").asText());
        }
        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            JsonNode page = cluster.get("/api/v1/runs?tag=batch:pages&page_size=3" + (after == null ? "" : "&page_after=" + after)).json();
            page.path("runs").forEach(r -> seen.add(r.path("id").asText()));
            after = page.path("next_page_after").textValue();
            pages++;
        } while (after != null && pages < 10);
        assertEquals(created, seen);
        assertEquals(3, pages);
    }

    @Test
    void runWalkthroughThroughTheCli() {
        String runId = cli.ok("runs", "create", "toy", "--name", "CLI_RUN", "--priority", "medium", "--tag", "via=cli").out().strip();
        assertTrue(runId.startsWith("r"), runId);
        String first = cli.ok("submit", "--run", runId, "--param", "x=5", "--param", "y=6", "--cpu", "2", "--memory", "1Gi",
                "--name", "cli-a").out().strip();
        Cli.Result waited = cli.run("submit", "--run", runId, "--param", "x=0", "--storage", "10Gi", "--wait", "--json");
        assertEquals(1, waited.exit(), waited::toString);
        assertEquals("FAILED", waited.json().path("status").asText());
        assertTrue(waited.err().contains("FAILED"), "progress was shown while waiting: " + waited.err());
        String second = waited.json().path("id").asText();
        cluster.awaitJob(first, JOB_TIMEOUT);
        awaitRunStatus(runId, "PARTIALLY_COMPLETED");

        JsonNode byStatus = cli.ok("runs", "list", "--status", "PARTIALLY_COMPLETED", "--tag", "via:cli", "--json").json();
        assertEquals(Set.of(runId), ids(byStatus.path("runs")));
        JsonNode byPriority = cli.ok("runs", "list", "--priority", "medium", "--tag", "via", "--json").json();
        assertEquals(Set.of(runId), ids(byPriority.path("runs")));
        String table = cli.ok("runs", "list", "--tag", "via:cli").out();
        assertTrue(table.contains(runId) && table.contains("PARTIALLY_COMPLETED"), table);

        JsonNode run = cli.ok("runs", "get", runId, "--json").json();
        assertEquals(2, run.path("num_jobs").asInt());
        assertEquals(1, run.path("num_successful_jobs").asInt());
        assertEquals(1, run.path("num_failed_jobs").asInt());
        String text = cli.ok("runs", "get", runId).out();
        assertTrue(text.contains("2 total, 1 succeeded, 1 failed"), text);

        JsonNode jobs = cli.ok("runs", "jobs", runId, "--json").json();
        assertEquals(List.of(second, first), List.of(jobs.path("jobs").get(0).path("id").asText(), jobs.path("jobs").get(1).path("id").asText()));
        JsonNode job = cli.ok("jobs", "get", first, "--json").json();
        assertEquals("cli-a", job.path("name").asText());
        assertEquals("medium", job.path("priority").asText());
        assertEquals(2, job.path("config").path("infra").path("cpu").asInt());
        assertEquals("1Gi", job.path("config").path("infra").path("memory").asText());
        assertEquals(5, job.path("parameters").path("x").asInt());
        JsonNode listed = cli.ok("jobs", "list", "--run", runId, "--status", "SUCCESS", "--json").json();
        assertEquals(Set.of(first), ids(listed.path("jobs")));

        Cli.Result refused = cli.run("runs", "create", "toy", "--priority", "urgent");
        assertEquals(1, refused.exit(), refused::toString);
        assertTrue(refused.err().contains("priority") && refused.err().contains("urgent"), refused.err());
    }

    private static int jobsOfToy() {
        return cluster.get("/api/v1/jobs?pipeline=toy&page_size=500").json().path("jobs").size();
    }

    @Test
    void aJobSubmittedStraightToThePipelineStillWorksAndIdempotencyKeysReturnTheSameJob() {
        int jobsBefore = jobsOfToy();
        String body = "{\"parameters\": {\"x\": 3}, \"priority\": \"low\"}";
        Cluster.Response first = cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/toy/jobs"))
                .header("Content-Type", "application/json").header("Idempotency-Key", "key-1")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(202, first.status(), first::toString);
        String id = first.json().path("id").asText();
        Cluster.Response again = cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/toy/jobs"))
                .header("Content-Type", "application/json").header("Idempotency-Key", "key-1")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(202, again.status(), again::toString);
        assertEquals(id, again.json().path("id").asText());
        assertEquals("true", again.headers().firstValue("Idempotent-Replayed").orElse(null));
        // the same request spaced and ordered differently is the same request
        Cluster.Response reordered = cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/toy/jobs"))
                .header("Content-Type", "application/json").header("Idempotency-Key", "key-1")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\n  \"priority\" : \"low\",\n  \"parameters\" : { \"x\" : 3 }\n}")));
        assertEquals(202, reordered.status(), reordered::toString);
        assertEquals(id, reordered.json().path("id").asText());
        assertEquals(jobsBefore + 1, jobsOfToy(), "one job for the key");
        Cluster.Response different = cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/toy/jobs"))
                .header("Content-Type", "application/json").header("Idempotency-Key", "key-1")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"parameters\": {\"x\": 4}}")));
        assertEquals(409, different.status(), different::toString);
        assertTrue(different.text().contains("different request"), different::toString);

        String viaCli = cli.ok("submit", "toy", "--param", "x=7", "--idempotency-key", "cli-key").out().strip();
        assertEquals(viaCli, cli.ok("submit", "toy", "--param", "x=7", "--idempotency-key", "cli-key").out().strip());
        assertEquals(jobsBefore + 2, jobsOfToy(), "one job for each key");

        JsonNode view = cluster.awaitJob(id, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText());
        assertEquals("low", view.path("priority").asText());
        assertNull(view.path("run_id").textValue());
    }

    private static Cluster.Response as(String token, String method, String path, String json) {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve(path))
                .header("Content-Type", "application/json")
                .method(method, json == null ? java.net.http.HttpRequest.BodyPublishers.noBody() : java.net.http.HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return cluster.sendRaw(b.build());
    }

    @Test
    void theWalkthroughIsRefusedWithoutAValidOrSufficientToken() {
        String runId = postJson("/api/v1/runs", "{\"pipeline_id\": \"toy\", \"name\": \"guarded\"}").json().path("id").asText();
        String reader = postJson("/api/v1/tokens", "{\"name\": \"runs-reader\", \"role\": \"read\"}").json().path("token").asText();
        int runsBefore = cluster.get("/api/v1/runs?page_size=500").json().path("runs").size();

        assertEquals(401, as(null, "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\"}").status());
        assertEquals(401, as("pw_not-a-real-token-000000000000000000000000", "GET", "/api/v1/runs", null).status());
        assertEquals(401, as(null, "POST", "/api/v1/runs/" + runId + "/jobs", "{\"parameters\": {\"x\": 1}}").status());
        assertEquals(401, as(null, "GET", "/api/v1/runs/" + runId, null).status());
        assertEquals(403, as(reader, "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\"}").status());
        assertEquals(403, as(reader, "POST", "/api/v1/runs/" + runId + "/jobs", "{\"parameters\": {\"x\": 1}}").status());
        assertEquals(404, as(reader, "GET", "/api/v1/runs/" + runId, null).status(), "a read token sees only its owner's runs");

        assertEquals(runsBefore, cluster.get("/api/v1/runs?page_size=500").json().path("runs").size(), "no run was created");
        assertEquals(0, cluster.get("/api/v1/runs/" + runId).json().path("num_jobs").asInt(), "no job was added");
        Cli.Result refused = cli.runWithoutToken("runs", "create", "toy");
        assertTrue(refused.exit() != 0 && refused.err().contains("bearer token"), refused::toString);
    }

}
