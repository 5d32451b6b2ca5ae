package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Re-running a failed job, through {@code POST /jobs/{id}/retry}
 * and through {@code pipewright retry}, starts a new job that reuses the consumables of the tasks
 * that succeeded (their processors do not run again) and runs the failed and skipped ones.
 */
class RerunIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String PIPELINE = """
            name: rerun
            dataNodes: {seed: {}, x: {}, y: {}, z: {}, w: {}}
            processNodes:
              a: {input: [seed], output: [x], processor: identity}
              b: {input: [x], output: [y], processor: flaky}
              c: {input: [y], output: [z], processor: identity}
              side: {input: [seed], output: [w], processor: concat}
            """;

    static Cluster cluster;
    static Path flag;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("pw-rerun-it-");
        flag = dir.resolve("fixed");
        Path processors = dir.resolve("processors.yaml");
        // fails for good until the test creates the flag file: the "bug" a re-run comes after
        Files.writeString(processors, """
                processors:
                  flaky:
                    command: [sh, -c, 'if [ -f "$FLAG" ]; then tr a-z A-Z < "$PW_INPUT_DIR/x" > "$PW_OUTPUT_DIR/y"; else echo "not fixed yet" >&2; exit 3; fi']
                    env: {FLAG: "%s"}
                    permanentExitCodes: [3]
                """.formatted(flag));
        cluster = Cluster.builder().workers(1).concurrency(4).workerMetrics(true).processorsFile(processors).start();
        cluster.postPipeline(PIPELINE);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static double started(String processor) {
        return Metrics.value(cluster.workerMetrics(0), "pipewright_tasks_started_total", Map.of("processor", processor));
    }

    private record Counts(double identity, double concat, double flaky) {
        static Counts now() {
            return new Counts(started("identity"), started("concat"), started("flaky"));
        }
    }

    private static String failedJob() {
        String job = cluster.submit("rerun", """
                {"inputs": {"seed": "payload"}}""");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        assertEquals("SUCCESS", Cluster.task(view, "a").path("status").asText());
        assertEquals("SUCCESS", Cluster.task(view, "side").path("status").asText());
        assertEquals("FAILED", Cluster.task(view, "b").path("status").asText());
        assertEquals("SKIPPED", Cluster.task(view, "c").path("status").asText());
        return job;
    }

    /** The re-run succeeded, reused a and side from {@code old}, and ran b and c once each. */
    private static void assertReran(String old, String rerun, Counts before) {
        assertNotEquals(old, rerun);
        JsonNode view = cluster.awaitJob(rerun, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        for (String reused : new String[] {"a", "side"}) {
            JsonNode t = Cluster.task(view, reused);
            assertEquals("SUCCESS", t.path("status").asText());
            assertEquals(0, t.path("attempts").asInt(), reused + " was reused, not run: " + t);
            assertEquals(old, cluster.redis().hget(cluster.taskKey(rerun, reused), "reused"));
        }
        for (String ran : new String[] {"b", "c"}) {
            JsonNode t = Cluster.task(view, ran);
            assertEquals("SUCCESS", t.path("status").asText());
            assertEquals(1, t.path("attempts").asInt(), t::toString);
        }
        Counts after = Counts.now();
        assertEquals(before.identity() + 1, after.identity(), "identity ran for c only, not again for a");
        assertEquals(before.concat(), after.concat(), "side's processor did not run again");
        assertEquals(before.flaky() + 1, after.flaky());
        assertEquals("payload", cluster.consumableText(rerun, "x"), "a's consumable was carried over");
        assertEquals("payload", cluster.consumableText(rerun, "w"), "side's consumable was carried over");
        assertEquals("PAYLOAD", cluster.consumableText(rerun, "z"));
        assertEquals(4, view.path("counts").path("succeeded").asInt(), "four tasks succeeded: " + view.path("counts"));
    }

    @Test
    void reRunsFromFailureThroughTheApiAndTheCli() throws Exception {
        Files.deleteIfExists(flag);
        String first = failedJob();
        String second = failedJob();
        Files.writeString(flag, "fixed");

        Counts before = Counts.now();
        Cluster.Response r = cluster.post("/api/v1/jobs/" + first + "/retry", "{}", "application/json");
        assertEquals(202, r.status(), r::toString);
        assertEquals(first, r.json().path("retry_of").asText());
        String rerun = r.json().path("id").asText();
        assertReran(first, rerun, before);

        before = Counts.now();
        CancelIT.Cli cli = CancelIT.Cli.run("retry", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(), second);
        assertEquals(0, cli.exitCode(), cli::toString);
        String cliRerun = cli.out().trim();
        assertTrue(cliRerun.matches("[a-z0-9]{8,40}"), "prints the new job id: " + cli);
        assertReran(second, cliRerun, before);

        // re-running a job that succeeded reuses everything and runs nothing
        before = Counts.now();
        String all = cluster.post("/api/v1/jobs/" + rerun + "/retry", "{}", "application/json").json().path("id").asText();
        JsonNode view = cluster.awaitJob(all, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals(before, Counts.now(), "no processor ran");
        assertEquals("PAYLOAD", cluster.consumableText(all, "z"));
    }

    @Test
    void aReRunAtItsPipelinesLimitAnswersPendingAndRetryWaitWaitsForIt() throws Exception {
        cluster.postPipeline("""
                name: rerun-limited
                dataNodes: {seed: {}, x: {}, y: {}}
                processNodes:
                  quick: {input: [seed], output: [x], processor: identity}
                  slow: {input: [seed], output: [y], processor: sleep, config: {ms: 60000}}
                """);
        String done = cluster.submit("rerun-limited", "{\"inputs\": {\"seed\": \"s\"}, \"outputs\": [\"x\"]}");
        assertEquals("SUCCESS", cluster.awaitJob(done, TIMEOUT).path("status").asText());
        Cluster.Response limit = cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/admin/limits/pipeline/rerun-limited"))
                .header("Content-Type", "application/json").PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"max\": 1}")));
        assertEquals(200, limit.status(), limit::toString);
        try {
            String occupant = cluster.submit("rerun-limited", "{\"inputs\": {\"seed\": \"s\"}, \"outputs\": [\"y\"]}");
            cluster.awaitTask(occupant, "slow", "RUNNING", TIMEOUT);

            Cluster.Response r = cluster.post("/api/v1/jobs/" + done + "/retry", "{}", "application/json");
            assertEquals(202, r.status(), r::toString);
            assertEquals("PENDING", r.json().path("status").asText(), "the answer says what the new job is: " + r);
            String pending = r.json().path("id").asText();
            assertEquals("PENDING", cluster.job(pending).path("status").asText());

            java.util.concurrent.CompletableFuture<CancelIT.Cli> waited = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                    CancelIT.Cli.run("retry", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(), done, "--wait", "--timeout", "60s"));
            Cluster.sleep(1000);
            assertTrue(!waited.isDone(), "retry --wait waits while the new job is PENDING");
            assertEquals(202, cluster.post("/api/v1/jobs/" + occupant + "/cancel", "{}", "application/json").status());
            CancelIT.Cli cli = waited.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(0, cli.exitCode(), cli::toString);
            assertTrue(cli.out().trim().endsWith(" SUCCESS"), cli::toString);
            assertTrue(cli.err().contains("PENDING"), "progress on stderr: " + cli);
            assertEquals("SUCCESS", cluster.awaitJob(pending, TIMEOUT).path("status").asText());
        } finally {
            cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/admin/limits/pipeline/rerun-limited")).DELETE());
        }
    }

    @Test
    void onlyAnEndedJobCanBeReRun() {
        cluster.postPipeline("""
                name: rerun-busy
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  nap: {input: [seed], output: [x], processor: sleep, config: {ms: 60000}}
                """);
        String job = cluster.submit("rerun-busy", """
                {"inputs": {"seed": "s"}}""");
        cluster.awaitTask(job, "nap", "RUNNING", TIMEOUT);
        Cluster.Response r = cluster.post("/api/v1/jobs/" + job + "/retry", "{}", "application/json");
        assertEquals(409, r.status(), r::toString);
        CancelIT.Cli cli = CancelIT.Cli.run("retry", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(), job);
        assertEquals(1, cli.exitCode(), cli::toString);
        assertEquals(404, cluster.post("/api/v1/jobs/0000000000000zz/retry", "{}", "application/json").status());
        assertEquals(202, cluster.post("/api/v1/jobs/" + job + "/cancel", "{}", "application/json").status());
        assertEquals("CANCELLED", cluster.awaitJob(job, TIMEOUT).path("status").asText());
    }
}
