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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Task logs are kept per attempt: each attempt keeps its own last 2,000 lines, the listing gives
 * structured lines {attempt, line, at} and takes {@code ?attempt=}; what a Java processor logs
 * through SLF4J while it runs is in its attempt's log (the built-in {@code log} processor), through
 * the API, the live stream and {@code pipewright logs}; an unknown or pruned {@code ?node=} is a 400.
 */
class LogsIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    @TempDir
    static Path dir;
    static Cluster cluster;
    static Cli cli;
    static String job;

    @BeforeAll
    static void start() throws Exception {
        Path registry = dir.resolve("processors.yaml");
        // 2,100 lines on every attempt; the first attempt fails
        Files.writeString(registry, """
                processors:
                  chatter:
                    command: [sh, -c, 'i=0; while [ $i -lt 2100 ]; do echo "line $i of attempt $PW_ATTEMPT"; i=$((i+1)); done; test "$PW_ATTEMPT" -gt 1 || exit 4; echo done > "$PW_OUTPUT_DIR/out"']
                """);
        cluster = Cluster.builder().workers(1).processorsFile(registry).start();
        cli = new Cli(cluster);
        cluster.postPipeline("""
                name: logging
                dataNodes:
                  in:
                  mid:
                  out:
                  unused:
                processNodes:
                  talk:
                    input: [in]
                    output: [mid]
                    processor: log
                    config: {message: "hello from a Java processor", fail_times: 1}
                    retries: {max: 1, initial: 100ms}
                  noisy:
                    input: [mid]
                    output: [out]
                    processor: chatter
                    retries: {max: 1, initial: 100ms}
                  spare:
                    input: [in]
                    output: [unused]
                    processor: identity
                """);
        job = cluster.submit("logging", "{\"inputs\": {\"in\": \"x\"}, \"outputs\": [\"out\"]}");
        JsonNode view = cluster.awaitJob(job, WAIT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<String> lines(JsonNode lines, int attempt) {
        List<String> out = new ArrayList<>();
        lines.forEach(l -> {
            if (l.path("attempt").asInt() == attempt) {
                out.add(l.path("line").asText());
            }
        });
        return out;
    }

    @Test
    void aJavaProcessorsSlf4jLinesAreKeptWithTheirAttempt() {
        JsonNode talk = cluster.logs(job).path("talk");
        String first = "INFO LogProcessor - hello from a Java processor (job " + job + ", node talk, attempt 1)";
        assertEquals(List.of(first, "WARN LogProcessor - failing attempt 1 on purpose"), lines(talk, 1), talk::toString);
        assertEquals(List.of(first.replace("attempt 1", "attempt 2")), lines(talk, 2), "a DEBUG line of a logger at INFO is not kept");
        for (JsonNode l : talk) {
            Instant at = Instant.parse(l.path("at").asText());
            assertTrue(at.isAfter(Instant.now().minusSeconds(300)), l::toString);
        }
        JsonNode second = cluster.get("/api/v1/jobs/" + job + "/logs?node=talk&attempt=2").json().path("logs");
        assertEquals(List.of("talk"), iterate(second));
        assertEquals(1, second.path("talk").size());
        assertEquals(2, second.path("talk").get(0).path("attempt").asInt());
    }

    private static List<String> iterate(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void eachAttemptKeepsItsOwnLastLines() {
        JsonNode noisy = cluster.logs(job).path("noisy");
        List<String> one = lines(noisy, 1);
        List<String> two = lines(noisy, 2);
        assertEquals(2000, one.size(), "the first attempt keeps its last 2,000 lines");
        assertEquals(2000, two.size(), "and so does the second, whatever the first wrote");
        assertEquals("[stdout] line 100 of attempt 1", one.get(0));
        assertEquals("[stdout] line 2099 of attempt 2", two.get(two.size() - 1));
        JsonNode only = cluster.get("/api/v1/jobs/" + job + "/logs?attempt=1").json().path("logs");
        assertEquals(2000, only.path("noisy").size());
        assertTrue(lines(only.path("talk"), 2).isEmpty());
        assertEquals(List.of("talk", "noisy"), iterate(only), "task order; a task with no lines (spare is pruned) is left out");
    }

    @Test
    void anUnknownOrPrunedNodeOrABadAttemptIsA400() {
        for (String query : List.of("node=nope", "node=spare", "node=nope&follow=true", "attempt=0", "attempt=two", "node=")) {
            Cluster.Response r = cluster.get("/api/v1/jobs/" + job + "/logs?" + query);
            assertEquals(400, r.status(), query + ": " + r);
            String path = r.json().path("error").path("problems").get(0).path("path").asText();
            assertTrue(path.equals("node") || path.equals("attempt"), r::toString);
        }
        assertTrue(cluster.get("/api/v1/jobs/" + job + "/logs?node=spare").json().path("error").path("message").asText()
                .contains("has no task 'spare'"));
        assertEquals(200, cluster.get("/api/v1/jobs/" + job + "/logs?attempt=9").status(), "an attempt that never ran has no lines");
    }

    @Test
    void theCommandLineAndTheLiveStreamShowTheAttempt() {
        String out = cli.ok("logs", job, "--node", "talk").out();
        assertTrue(out.contains("talk #1 INFO LogProcessor - hello from a Java processor (job " + job + ", node talk, attempt 1)"), out);
        assertTrue(out.contains("talk #1 WARN LogProcessor - failing attempt 1 on purpose"), out);
        assertTrue(out.contains("talk #2 INFO LogProcessor - hello"), out);
        String second = cli.ok("logs", job, "--node", "talk", "--attempt", "2").out();
        assertFalse(second.contains("#1 "), second);
        assertTrue(second.contains("talk #2 INFO LogProcessor"), second);

        Cli.Result followed = cli.ok("logs", job, "-f", "--node", "talk", "--attempt", "1", "--json");
        int logs = 0;
        for (String line : followed.out().split("\n")) {
            JsonNode event = parse(line);
            if ("log".equals(event.path("event").asText())) {
                logs++;
                assertEquals(1, event.path("data").path("attempt").asInt(), line);
                assertEquals("talk", event.path("data").path("node").asText(), line);
                Instant.parse(event.path("data").path("at").asText());
            }
        }
        assertEquals(2, logs, followed::toString);
        String live = cli.ok("logs", job, "-f", "--node", "talk").out();
        assertTrue(live.contains("talk #2 INFO LogProcessor - hello"), live);
    }

    private static JsonNode parse(String line) {
        try {
            return Cluster.JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
