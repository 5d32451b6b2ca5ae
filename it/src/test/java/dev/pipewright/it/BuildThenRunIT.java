package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.cli.PipewrightCli;
import dev.pipewright.it.support.Cli;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The build-then-run walkthrough: post a pipeline, build a job (READY, nothing dispatched), run it by id,
 * follow its logs live. The task logs two lines and then waits for a file the test creates only
 * after it has received those lines over the live stream: the lines provably arrive while the job
 * runs, with no timing assumption.
 */
class BuildThenRunIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static Cluster cluster;
    static Cli cli;

    @BeforeAll
    static void start() throws Exception {
        Path registry = dir.resolve("processors.yaml");
        // $PW_PARAM_GATE names the file to wait for (at most 60 s)
        Files.writeString(registry, """
                processors:
                  talker:
                    command: [sh, -c, 'echo "line 1 of $PW_NODE"; echo "line 2 on stderr" >&2; i=0; while [ ! -f "$PW_PARAM_GATE" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo "gate seen"; cat "$PW_INPUT_DIR/my_input" > "$PW_OUTPUT_DIR/my_output"']
                """);
        cluster = Cluster.builder().workers(1).concurrency(2).processorsFile(registry).start();
        cli = new Cli(cluster);
        cluster.postPipeline("""
                name: walkthrough
                parameters:
                  gate: string
                dataNodes:
                  my_input:
                  my_output:
                processNodes:
                  process_node_1:
                    input: [my_input]
                    output: [my_output]
                    processor: talker
                    retries: 0
                """);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private record Event(String name, JsonNode data) {
    }

    @Test
    void buildThenRunAndFollowTheLogsOverHttp() throws Exception {
        Path gate = dir.resolve("gate-http");
        Cluster.Response built = cluster.submitRaw("walkthrough", """
                {"parameters": {"gate": "%s"}, "inputs": {"my_input": "payload"}, "start": false}
                """.formatted(gate));
        assertEquals(202, built.status(), built::toString);
        String job = built.json().path("id").asText();
        assertEquals("READY", built.json().path("status").asText());
        JsonNode ready = cluster.job(job);
        assertEquals("READY", ready.path("status").asText());
        assertEquals("PENDING", Cluster.task(ready, "process_node_1").path("status").asText(), "nothing dispatched before /run");
        assertEquals(Long.valueOf(0), Long.valueOf(cluster.redis().hget(cluster.jobKey(job), "seq")), "no dispatch before /run");

        Cluster.Response run = cluster.post("/api/v1/jobs/" + job + "/run", "", "application/json");
        assertEquals(202, run.status(), run::toString);
        assertTrue(run.json().path("started").asBoolean());
        Cluster.Response again = cluster.post("/api/v1/jobs/" + job + "/run", "", "application/json");
        assertEquals(200, again.status(), again::toString);
        assertFalse(again.json().path("started").asBoolean(), "starting twice changes nothing");

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/jobs/" + job + "/logs?follow=true")).header("Authorization", "Bearer " + cluster.adminToken())
                .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<Event> events = new ArrayList<>();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> readEvents(stream.body(), events));
        Cluster.await("both log lines over the live stream", TIMEOUT, () -> logLines(events).size() >= 2);
        assertEquals("RUNNING", cluster.job(job).path("status").asText(), "the lines arrived while the job runs");
        synchronized (events) {
            assertTrue(events.stream().noneMatch(e -> e.name().equals("end")));
        }
        Files.writeString(gate, "go");
        reader.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        List<String> lines = logLines(events);
        assertTrue(lines.contains("[stdout] line 1 of process_node_1"), lines.toString());
        assertTrue(lines.contains("[stderr] line 2 on stderr"), lines.toString());
        assertTrue(lines.contains("[stdout] gate seen"), lines.toString());
        Event last = events.get(events.size() - 1);
        assertEquals("end", last.name());
        assertEquals("SUCCESS", last.data().path("status").asText());
        assertTrue(events.stream().anyMatch(e -> e.name().equals("status") && e.data().path("tasks").path("process_node_1").asText().equals("RUNNING")),
                "a status event showed the task running");
        int firstLog = indexOf(events, "log");
        assertTrue(firstLog < events.indexOf(last));
        assertEquals("payload", cluster.consumableText(job, "my_output"));
        JsonNode logs = cluster.logs(job);
        assertTrue(logs.path("process_node_1").toString().contains("line 1 of process_node_1"), "the plain listing still works");
    }

    @Test
    void buildThenRunAndFollowTheLogsThroughTheCli() throws Exception {
        Path gate = dir.resolve("gate-cli");
        String job = cli.ok("submit", "walkthrough", "--no-start", "--param", "gate=" + gate, "--input", "my_input=via-cli").out().strip();
        assertEquals("READY", cli.ok("jobs", "get", job, "--json").json().path("status").asText());
        Cli.Result started = cli.ok("jobs", "start", job);
        assertTrue(started.out().contains("RUNNING"), started::toString);

        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        CompletableFuture<Integer> follow = CompletableFuture.supplyAsync(() -> {
            picocli.CommandLine cl = PipewrightCli.commandLine();
            cl.setOut(new java.io.PrintWriter(out, true));
            cl.setErr(new java.io.PrintWriter(err, true));
            return cl.execute("logs", job, "-f", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken());
        });
        Cluster.await("the CLI to print the first lines", TIMEOUT, () -> out.toString().contains("line 2 on stderr"));
        assertEquals("RUNNING", cluster.job(job).path("status").asText());
        assertFalse(out.toString().contains("gate seen"));
        Files.writeString(gate, "go");
        assertEquals(0, follow.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), () -> "stdout: " + out + "\nstderr: " + err);
        assertTrue(out.toString().contains("process_node_1 #1 [stdout] line 1 of process_node_1"), out.toString());
        assertTrue(out.toString().contains("process_node_1 #1 [stdout] gate seen"), out.toString());
        assertTrue(err.toString().contains("SUCCESS"), err.toString());

        Cli.Result plain = cli.ok("logs", job);
        assertTrue(plain.out().contains("process_node_1 #1 [stdout] gate seen"), plain::toString);
        Cli.Result again = cli.ok("jobs", "start", job);
        assertTrue(again.out().contains("already started"), again::toString);
    }

    @Test
    void aBuiltJobCannotBeStartedOrFollowedWithoutAToken() throws Exception {
        String job = cluster.submit("walkthrough", """
                {"parameters": {"gate": "%s"}, "inputs": {"my_input": "guarded"}, "start": false}
                """.formatted(dir.resolve("gate-guarded")));
        for (String path : new String[] {"/api/v1/jobs/" + job + "/run", "/api/v1/jobs/" + job + "/start"}) {
            Cluster.Response r = cluster.sendRaw(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve(path))
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
            assertEquals(401, r.status(), r::toString);
        }
        Cluster.Response follow = cluster.sendRaw(java.net.http.HttpRequest.newBuilder(
                cluster.baseUri().resolve("/api/v1/jobs/" + job + "/logs?follow=true")).GET().build());
        assertEquals(401, follow.status(), follow::toString);
        assertEquals("READY", cluster.job(job).path("status").asText(), "nothing started it");
    }

    @Test
    void concurrentRunCallsStartTheJobOnce() throws Exception {
        Path gate = Files.writeString(dir.resolve("gate-open"), "go");
        String job = cluster.submit("walkthrough", """
                {"parameters": {"gate": "%s"}, "inputs": {"my_input": "once"}, "start": false}
                """.formatted(gate));
        int callers = 8;
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<CompletableFuture<Cluster.Response>> calls = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return cluster.post("/api/v1/jobs/" + job + "/run", "", "application/json");
            }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
        }
        go.countDown();
        int started = 0;
        for (CompletableFuture<Cluster.Response> c : calls) {
            Cluster.Response r = c.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(r.status() == 202 || r.status() == 200, r::toString);
            started += r.json().path("started").asBoolean() ? 1 : 0;
        }
        assertEquals(1, started, "exactly one call started the job");
        JsonNode done = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", done.path("status").asText());
        assertEquals("1", cluster.redis().hget(cluster.jobKey(job), "seq"), "its task was dispatched once");
        assertEquals(1, Cluster.task(done, "process_node_1").path("attempts").asInt());
    }

    @Test
    void runningAnEndedJobStartsANewJobWithTheSameParametersAndInputs() throws Exception {
        // seed 000: "execute an existing job from code by its UUID" - POST /jobs/{id}/run once it has ended
        Path gate = Files.writeString(dir.resolve("gate-again"), "go");
        String job = cluster.submit("walkthrough", """
                {"parameters": {"gate": "%s"}, "inputs": {"my_input": "again"}, "job_name": "nightly"}
                """.formatted(gate));
        assertEquals("SUCCESS", cluster.awaitJob(job, TIMEOUT).path("status").asText());
        Cluster.Response run = cluster.post("/api/v1/jobs/" + job + "/run", "", "application/json");
        assertEquals(202, run.status(), run::toString);
        String second = run.json().path("id").asText();
        assertNotEquals(job, second, "a new job");
        assertEquals(job, run.json().path("rerun_of").asText());
        assertTrue(run.json().path("started").asBoolean());
        JsonNode done = cluster.awaitJob(second, TIMEOUT);
        assertEquals("SUCCESS", done.path("status").asText());
        assertEquals(job, done.path("rerun_of").asText());
        assertTrue(done.path("retry_of").isMissingNode(), "not a re-run from failure: " + done);
        assertEquals(gate.toString(), done.path("parameters").path("gate").asText());
        assertEquals("nightly", done.path("name").asText());
        assertEquals(1, Cluster.task(done, "process_node_1").path("attempts").asInt(), "ran again, nothing reused");
        assertTrue(Cluster.task(done, "process_node_1").path("reused_from").isNull()
                || Cluster.task(done, "process_node_1").path("reused_from").isMissingNode(), done::toString);
        assertEquals("again", cluster.consumableText(second, "my_output"));

        // a cancelled (never started) job runs too, from its own inputs
        String built = cluster.submit("walkthrough", """
                {"parameters": {"gate": "%s"}, "inputs": {"my_input": "was cancelled"}, "start": false}
                """.formatted(gate));
        assertEquals(202, cluster.post("/api/v1/jobs/" + built + "/cancel", "", "application/json").status());
        Cluster.Response revived = cluster.post("/api/v1/jobs/" + built + "/run", "", "application/json");
        assertEquals(202, revived.status(), revived::toString);
        String third = revived.json().path("id").asText();
        assertEquals("SUCCESS", cluster.awaitJob(third, TIMEOUT).path("status").asText());
        assertEquals("was cancelled", cluster.consumableText(third, "my_output"));
        assertEquals("CANCELLED", cluster.job(built).path("status").asText(), "the old job stays as it was");
        Cluster.Response start = cluster.post("/api/v1/jobs/" + built + "/start", "", "application/json");
        assertEquals(409, start.status(), "/start only starts a built job: " + start);
    }

    private static List<String> logLines(List<Event> events) {
        synchronized (events) {
            return events.stream().filter(e -> e.name().equals("log")).map(e -> e.data().path("line").asText()).toList();
        }
    }

    private static int indexOf(List<Event> events, String name) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static void readEvents(InputStream in, List<Event> events) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String event = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    if (event != null) {
                        synchronized (events) {
                            events.add(new Event(event, Cluster.JSON.readTree(data.toString())));
                        }
                    }
                    event = null;
                    data.setLength(0);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
