package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cli;
import dev.pipewright.it.support.Cluster;
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
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 002's walkthrough: create a run with priority and tags, submit two jobs with parameters and
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
                """);
        cluster = Cluster.builder().workers(1).concurrency(4).processorsFile(registry).start();
        cli = new Cli(cluster);
        cluster.postPipeline(PIPELINE);
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
    void seedWalkthroughOverHttp() {
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
    void seedWalkthroughThroughTheCli() {
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

    @Test
    void aJobSubmittedStraightToThePipelineStillWorksAndIdempotencyKeysReturnTheSameJob() {
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
        Cluster.Response different = cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/toy/jobs"))
                .header("Content-Type", "application/json").header("Idempotency-Key", "key-1")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"parameters\": {\"x\": 4}}")));
        assertEquals(409, different.status(), different::toString);
        assertTrue(different.text().contains("different request"), different::toString);

        String viaCli = cli.ok("submit", "toy", "--param", "x=7", "--idempotency-key", "cli-key").out().strip();
        assertEquals(viaCli, cli.ok("submit", "toy", "--param", "x=7", "--idempotency-key", "cli-key").out().strip());

        JsonNode view = cluster.awaitJob(id, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText());
        assertEquals("low", view.path("priority").asText());
        assertNull(view.path("run_id").textValue());
        long withKey = cluster.get("/api/v1/jobs?pipeline=toy&page_size=500").json().path("jobs").findValues("id").stream()
                .filter(n -> n.asText().equals(id)).count();
        assertEquals(1, withKey, "one job for the key");
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
