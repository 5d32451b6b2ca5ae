package dev.pipewright.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.overseer.OverseerMain;
import dev.pipewright.overseer.api.HttpApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fuzzer's and the hand probes' attacks on input size, each refused with the error JSON (or,
 * for exec parameters, served) instead of accepted and paid for later: too many tasks, too many
 * problems listed, oversized parameters, a request line or headers over the caps, a parameter too
 * large for a command's environment, a log line forged through a path, and a revoked token whose
 * log stream went on. Each of these fails on the code before the limits.
 */
class InputLimitsIT {
    private static final int MAX_TASKS = 50;
    @TempDir
    static Path dir;
    static Cluster cluster;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = Cluster.JSON;

    @BeforeAll
    static void start() throws Exception {
        Path registry = dir.resolve("processors.yaml");
        // what the command saw of $PW_PARAMS_FILE: the length of parameter blob
        Files.writeString(registry, """
                processors:
                  blob_length:
                    command: [python3, -c, "import json, os; p = json.load(open(os.environ['PW_PARAMS_FILE'])); open(os.path.join(os.environ['PW_OUTPUT_DIR'], 'out'), 'w').write(str(len(p['blob'])))"]
                """);
        cluster = Cluster.builder().workers(1).concurrency(2).processorsFile(registry)
                .overseerSetting("PW_MAX_JOB_TASKS", Integer.toString(MAX_TASKS)).start();
        cluster.postPipeline("""
                name: params
                parameters:
                  blob: string
                  b2: {type: string, required: false}
                  b3: {type: string, required: false}
                  b4: {type: string, required: false}
                  b5: {type: string, required: false}
                dataNodes:
                  in:
                  out:
                processNodes:
                  measure:
                    input: [in]
                    output: [out]
                    processor: blob_length
                    retries: 0
                """);
        cluster.postPipeline("""
                name: slow
                dataNodes:
                  in:
                  out:
                processNodes:
                  nap:
                    input: [in]
                    output: [out]
                    processor: sleep
                    config: {ms: 60000}
                    retries: 0
                """);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A chain of {@code n} process nodes. */
    private static String chain(String name, int n) {
        StringBuilder y = new StringBuilder("name: " + name + "\ndataNodes:\n");
        for (int i = 0; i <= n; i++) {
            y.append("  d").append(i).append(":\n");
        }
        y.append("processNodes:\n");
        for (int i = 0; i < n; i++) {
            y.append("  p").append(i).append(":\n    input: [d").append(i).append("]\n    output: [d").append(i + 1)
                    .append("]\n    processor: noop\n");
        }
        return y.toString();
    }

    private static JsonNode error(Cluster.Response r, int status, String code) {
        assertEquals(status, r.status(), r::toString);
        JsonNode e = r.json().path("error");
        assertEquals(code, e.path("code").asText(), r::toString);
        assertTrue(e.path("problems").isArray(), r::toString);
        return e;
    }

    @Test
    void aPipelineWithMoreProcessNodesThanAJobMayRunIsRefusedWhenStored() {
        Cluster.Response r = cluster.post("/api/v1/pipelines", chain("too-big", MAX_TASKS + 1), "application/yaml");
        JsonNode e = error(r, 400, "invalid_pipeline");
        assertEquals("processNodes", e.path("problems").get(0).path("path").asText());
        assertTrue(e.path("problems").get(0).path("message").asText().contains("PW_MAX_JOB_TASKS"), r::toString);
        assertEquals(404, cluster.get("/api/v1/pipelines/too-big").status(), "nothing was stored");
        Cluster.Response v = cluster.post("/api/v1/pipelines/validate", chain("too-big", MAX_TASKS + 1), "application/yaml");
        assertFalse(v.json().path("valid").asBoolean(), v::toString);
        cluster.postPipeline(chain("just-fits", MAX_TASKS));
    }

    @Test
    void aJobOfMoreTasksThanTheLimitIsRefusedWhenSubmitted() throws Exception {
        // stored through an overseer with a higher limit (a pipeline stored before the limit was lowered)
        try (OverseerMain.Running roomy = cluster.startExtraOverseer("ov-roomy-" + System.nanoTime(),
                Map.of("PW_MAX_JOB_TASKS", Integer.toString(MAX_TASKS * 2)))) {
            HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + roomy.httpPort() + "/api/v1/pipelines"))
                    .header("Authorization", "Bearer " + cluster.adminToken()).header("Content-Type", "application/yaml")
                    .POST(HttpRequest.BodyPublishers.ofString(chain("stored-big", MAX_TASKS + 10))).build();
            assertEquals(201, cluster.sendRaw(post).status());
        }
        Cluster.Response r = cluster.submitRaw("stored-big", "{\"inputs\": {\"d0\": \"x\"}}");
        JsonNode e = error(r, 400, "too_many_tasks");
        assertTrue(e.path("message").asText().contains((MAX_TASKS + 10) + " tasks"), r::toString);
        assertEquals(0, cluster.get("/api/v1/jobs?pipeline=stored-big").json().path("jobs").size(), "no job was made");
        // a part of it within the limit still runs
        String ok = cluster.submit("stored-big", "{\"inputs\": {\"d0\": \"x\"}, \"outputs\": [\"d5\"]}");
        assertEquals("SUCCESS", cluster.awaitJob(ok, Duration.ofSeconds(60)).path("status").asText());
    }

    @Test
    void anInvalidDocumentListsTheFirstProblemsAndCountsTheRest() {
        StringBuilder y = new StringBuilder("dataNodes:\n  a:\nprocessNodes:\n");
        for (int i = 0; i < 1000; i++) {
            y.append("  p").append(i).append(": {input: [a], output: [a], processor: noop, bogus: 1}\n");
        }
        Cluster.Response r = cluster.post("/api/v1/pipelines", y.toString(), "application/yaml");
        JsonNode e = error(r, 400, "invalid_pipeline");
        assertEquals(100, e.path("problems").size(), "PW_MAX_PROBLEMS' default");
        int found = Integer.parseInt(e.path("message").asText().replaceAll("\\D+", " ").trim().split(" ")[0]);
        assertEquals(found - 100, e.path("more_problems").asInt(), r::toString);
        assertTrue(found >= 1000, r::toString);
        JsonNode v = cluster.post("/api/v1/pipelines/validate", y.toString(), "application/yaml").json();
        assertEquals(100, v.path("problems").size());
        assertEquals(found - 100, v.path("more_problems").asInt());
        assertTrue(cluster.post("/api/v1/pipelines/validate", chain("fine", 2), "application/yaml").json().path("more_problems").isMissingNode());
    }

    @Test
    void parametersOverTheSizeCapsAreRefusedBeforeTheJobIsMade() throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("parameters", Map.of("blob", "x".repeat(1024 * 1024 + 1)));
        body.put("inputs", Map.of("in", "x"));
        JsonNode e = error(cluster.submitRaw("params", JSON.writeValueAsString(body)), 400, "parameters_too_large");
        assertEquals("parameters.blob", e.path("problems").get(0).path("path").asText());

        Map<String, Object> many = new LinkedHashMap<>();
        for (String p : new String[]{"blob", "b2", "b3", "b4", "b5"}) {
            many.put(p, "y".repeat(900 * 1024)); // each within 1 MiB, together over 4 MiB
        }
        body.put("parameters", many);
        e = error(cluster.submitRaw("params", JSON.writeValueAsString(body)), 400, "parameters_too_large");
        assertEquals("parameters", e.path("problems").get(0).path("path").asText());
        assertEquals(0, cluster.get("/api/v1/jobs?pipeline=params").json().path("jobs").size(), "no job was made");
    }

    @Test
    void aParameterDefaultOverTheCapIsRefusedWhenThePipelineIsStored() {
        String doc = "name: big-default\nparameters:\n  blob: {type: string, default: \"" + "d".repeat(1024 * 1024 + 1) + "\"}\n"
                + "dataNodes:\n  in:\n  out:\nprocessNodes:\n  p: {input: [in], output: [out], processor: identity}\n";
        JsonNode e = error(cluster.post("/api/v1/pipelines", doc, "application/yaml"), 400, "invalid_pipeline");
        assertEquals("parameters.blob.default", e.path("problems").get(0).path("path").asText());
        assertEquals(404, cluster.get("/api/v1/pipelines/big-default").status());
    }

    @Test
    void aParameterTooLargeForTheEnvironmentReachesTheExecCommand() throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("parameters", Map.of("blob", "z".repeat(200_000)));
        body.put("inputs", Map.of("in", "x"));
        String job = cluster.submit("params", JSON.writeValueAsString(body));
        JsonNode done = cluster.awaitJob(job, Duration.ofSeconds(60));
        assertEquals("SUCCESS", done.path("status").asText(), done::toPrettyString);
        assertEquals("200000", cluster.consumableText(job, "out"));
    }

    /** Sends raw bytes and reads the whole answer (the server closes the connection after these refusals). */
    private static String[] raw(String request) throws Exception {
        try (Socket s = new Socket(cluster.baseUri().getHost(), cluster.baseUri().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            return new String[]{text.substring(0, split), text.substring(split + 4)};
        }
    }

    @Test
    void aRequestLineOrHeadersOverTheCapsAreAnsweredWithTheErrorJson() throws Exception {
        String[] longLine = raw("GET /api/v1/jobs?x=" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(longLine[0].matches("(?s)HTTP/1\\.[01] 414 .*"), longLine[0]);
        assertTrue(longLine[0].toLowerCase().contains("content-type: application/json"), longLine[0]);
        assertEquals("uri_too_long", JSON.readTree(longLine[1]).path("error").path("code").asText(), longLine[1]);

        String[] bigHeaders = raw("GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-Filler: " + "b".repeat(10_000) + "\r\n\r\n");
        assertTrue(bigHeaders[0].matches("(?s)HTTP/1\\.[01] 431 .*"), bigHeaders[0]);
        JsonNode e = JSON.readTree(bigHeaders[1]).path("error");
        assertEquals("headers_too_large", e.path("code").asText(), bigHeaders[1]);
        assertTrue(e.path("problems").isArray());
    }

    @Test
    void userInputInTheLogCannotStartALineOfItsOwn() {
        Logger log = (Logger) LoggerFactory.getLogger(HttpApi.class);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        log.addAppender(seen);
        try {
            Cluster.Response r = cluster.get("/api/v1/pipelines/x%0d%0a12:00:00.000%20INFO%20forged%20entry/versions");
            assertEquals(404, r.status(), r::toString);
        } finally {
            log.detachAppender(seen);
        }
        String logged = seen.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("forged"))
                .findFirst().orElseThrow(() -> new AssertionError("the refusal was not logged: " + seen.list));
        assertFalse(logged.contains("\n") || logged.contains("\r"), logged);
        assertTrue(logged.contains("\\r\\n"), logged);
    }

    @Test
    void revokingATokenEndsItsOpenLogStreamsOnEveryOverseer() throws Exception {
        String job = cluster.submit("slow", "{\"inputs\": {\"in\": \"x\"}}");
        cluster.awaitTask(job, "nap", "RUNNING", Duration.ofSeconds(30));
        JsonNode made = cluster.post("/api/v1/tokens", "{\"name\": \"streamer\", \"role\": \"read\", \"owner\": \"admin\"}",
                "application/json").json();
        String token = made.path("token").asText();
        String tokenId = made.path("id").asText();
        assertEquals(200, cluster.as(token, "GET", "/api/v1/jobs/" + job, null).status(), "the token sees the job");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        // the stream is served by another overseer than the one the revocation reaches
        try (OverseerMain.Running other = cluster.startExtraOverseer("ov-stream-" + System.nanoTime(), Map.of())) {
            HttpRequest follow = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.httpPort() + "/api/v1/jobs/" + job
                    + "/logs?follow=true")).header("Authorization", "Bearer " + token).GET().build();
            HttpResponse<InputStream> stream = http.send(follow, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stream.statusCode());
            CompletableFuture<String> rest = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = stream.body()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (Exception e) {
                    return "failed: " + e;
                }
            });
            Thread.sleep(700);
            assertFalse(rest.isDone(), "the stream is open while the token is valid");
            assertEquals(200, cluster.as(cluster.adminToken(), "DELETE", "/api/v1/tokens/" + tokenId, null).status());
            long revoked = System.nanoTime();
            String text = rest.get(5, TimeUnit.SECONDS); // the old code streams until the job ends (60 s)
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revoked);
            assertTrue(tookMs < 1500, "the stream ended " + tookMs + " ms after the revocation");
            assertTrue(text.contains("event: error") && text.contains("revoked"), text);
            assertEquals(401, cluster.as(token, "GET", "/api/v1/jobs/" + job, null).status());
        } finally {
            cluster.send(HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/jobs/" + job + "/cancel"))
                    .POST(HttpRequest.BodyPublishers.noBody()));
        }
    }
}
