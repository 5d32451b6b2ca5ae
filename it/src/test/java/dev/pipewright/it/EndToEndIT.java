package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pipelines run from the HTTP API to their consumables, with built-in and exec processors. */
class EndToEndIT {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(30);
    private static final String TEXT = "text/plain; charset=utf-8";

    @TempDir
    static Path registryDir;
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        // an operator-registered command: copies $PW_INPUT_DIR/x to $PW_OUTPUT_DIR/y and talks on stdout and stderr
        Path registry = registryDir.resolve("processors.yaml");
        Files.writeString(registry, """
                processors:
                  copy_sh:
                    command: [sh, -c, 'cp "$PW_INPUT_DIR/x" "$PW_OUTPUT_DIR/y" && echo "copied x to y for node $PW_NODE attempt $PW_ATTEMPT" && echo "a note on stderr" >&2']
                """);
        cluster = Cluster.builder().workers(2).concurrency(4).processorsFile(registry).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void helloConcatAndIdentityGiveTheRightBytesAndContentTypes() {
        cluster.postPipeline("""
                name: hello
                dataNodes:
                  greeting:
                  name:
                  message:
                  doc:
                  docCopy:
                  blob:
                  blobCopy:
                processNodes:
                  greet:
                    input: [greeting, name]
                    output: [message]
                    processor: concat
                  copyDoc:
                    input: [doc]
                    output: [docCopy]
                    processor: identity
                  copyBlob:
                    input: [blob]
                    output: [blobCopy]
                    processor: identity
                """);
        String job = cluster.submit("hello", """
                {"inputs": {"greeting": "Hello, ", "name": "world", "doc": {"a": [1, 2]}, "blob": {"base64": "AAEC/w=="}}}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals("3/3", view.path("progress").asText());

        Cluster.Response message = cluster.consumable(job, "message");
        assertEquals(200, message.status());
        assertEquals("Hello, world", message.text());
        assertEquals(TEXT, message.contentType());

        Cluster.Response doc = cluster.consumable(job, "docCopy");
        assertEquals(200, doc.status());
        assertEquals(Cluster.JSON.createObjectNode().set("a", Cluster.JSON.createArrayNode().add(1).add(2)), doc.json());
        assertEquals("application/json", doc.contentType());

        Cluster.Response blob = cluster.consumable(job, "blobCopy");
        assertEquals(200, blob.status());
        assertArrayEquals(new byte[] {0, 1, 2, (byte) 0xff}, blob.body());
        assertEquals("application/octet-stream", blob.contentType());
    }

    @Test
    void diamondRunsEveryTaskOnceAndAfterItsParents() {
        cluster.postPipeline("""
                name: diamond
                dataNodes:
                  src:
                  kb:
                  kc:
                  x:
                  y:
                  z:
                  w:
                processNodes:
                  a:
                    input: [src]
                    output: [x]
                    processor: identity
                  b:
                    input: [x, kb]
                    output: [y]
                    processor: concat
                  c:
                    input: [x, kc]
                    output: [z]
                    processor: concat
                  d:
                    input: [y, z]
                    output: [w]
                    processor: concat
                    config: {separator: "|"}
                """);
        String job = cluster.submit("diamond", """
                {"inputs": {"src": "S", "kb": "B", "kc": "C"}}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals("SB|SC", cluster.consumableText(job, "w"));
        assertEquals("SB", cluster.consumableText(job, "y"));
        assertEquals("SC", cluster.consumableText(job, "z"));
        assertEquals(4, view.path("counts").path("succeeded").asInt());
        assertEquals(4, view.path("counts").path("total").asInt());

        for (String node : List.of("a", "b", "c", "d")) {
            JsonNode t = Cluster.task(view, node);
            assertNotNull(t, "task " + node);
            assertEquals("SUCCESS", t.path("status").asText(), node);
            assertEquals(1, t.path("attempts").asInt(), "attempts of " + node);
        }
        String[][] edges = {{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}};
        for (String[] e : edges) {
            long parentEnded = Cluster.task(view, e[0]).path("ended_us").asLong();
            long childStarted = Cluster.task(view, e[1]).path("started_us").asLong();
            assertTrue(parentEnded > 0 && childStarted > 0, "times recorded");
            assertTrue(childStarted >= parentEnded, e[1] + " started at " + childStarted + " before its parent " + e[0] + " ended at " + parentEnded);
        }
    }

    @Test
    void taskWithThreeInputsAndTwoOutputsWritesBoth() {
        // seed document 000: task1 reads data1..data3 and writes data4 and data5
        cluster.postPipeline("""
                name: seed-task1
                dataNodes:
                  data1:
                  data2:
                  data3:
                  data4:
                  data5:
                processNodes:
                  task1:
                    input:
                      - data1
                      - data2
                      - data3
                    output:
                      - data4
                      - data5
                    processor: concat
                    config: {separator: "+"}
                """);
        String job = cluster.submit("seed-task1", """
                {"inputs": {"data1": "one", "data2": "two", "data3": "three"}}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals("one+two+three", cluster.consumableText(job, "data4"));
        assertEquals("one+two+three", cluster.consumableText(job, "data5"));
        assertEquals(1, Cluster.task(view, "task1").path("attempts").asInt());
    }

    @Test
    void wantedOutputsRunOnlyTheirAncestors() {
        cluster.postPipeline("""
                name: prune
                dataNodes:
                  in:
                  x:
                  y:
                  z:
                  w:
                processNodes:
                  a:
                    input: [in]
                    output: [x]
                    processor: identity
                  b:
                    input: [x]
                    output: [y]
                    processor: identity
                  c:
                    input: [x]
                    output: [z]
                    processor: identity
                  d:
                    input: [in]
                    output: [w]
                    processor: identity
                """);
        JsonNode plan = cluster.get("/api/v1/pipelines/prune/plan?outputs=y").json();
        assertEquals(List.of("a", "b"), texts(plan.path("run")));

        String job = cluster.submit("prune", """
                {"inputs": {"in": "v"}, "outputs": ["y"]}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        Set<String> ran = new HashSet<>();
        view.path("tasks").forEach(t -> ran.add(t.path("node").asText()));
        assertEquals(Set.of("a", "b"), ran);
        assertEquals(Set.of("c", "d"), new HashSet<>(texts(view.path("pruned"))));
        assertEquals(List.of("y"), texts(view.path("outputs")));
        assertEquals(2, view.path("counts").path("total").asInt());
        assertEquals("v", cluster.consumableText(job, "y"));
        assertEquals(404, cluster.consumable(job, "z").status());
        assertEquals(404, cluster.consumable(job, "w").status());
    }

    @Test
    void sourcesAreReadFromAndWrittenToTheDataDirectory() throws Exception {
        Path input = cluster.dataArea().resolve("in/raw.txt");
        Files.createDirectories(input.getParent());
        Files.writeString(input, "from-file");
        cluster.postPipeline("""
                name: files
                parameters:
                  p: string
                dataNodes:
                  raw:
                    source: in/raw.txt
                  suffix:
                  result:
                    source: out/${p}.txt
                processNodes:
                  join:
                    input: [raw, suffix]
                    output: [result]
                    processor: concat
                """);
        String job = cluster.submit("files", """
                {"parameters": {"p": "alpha"}, "inputs": {"suffix": "+given"}}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals("from-file+given", cluster.consumableText(job, "result"));
        Path written = cluster.dataArea().resolve("out/alpha.txt");
        assertTrue(Files.isRegularFile(written), "the overseer wrote " + written);
        assertEquals("from-file+given", Files.readString(written));
        assertFalse(Files.exists(cluster.dataArea().resolve("out/${p}.txt")), "the template was resolved");
        assertEquals(Map.of("p", "alpha"), Cluster.JSON.convertValue(view.path("parameters"), Map.class));
    }

    @Test
    void retryableFailuresAreRetriedUntilTheyPass() {
        cluster.postPipeline("""
                name: flaky
                dataNodes:
                  in:
                  out:
                processNodes:
                  flaky:
                    input: [in]
                    output: [out]
                    processor: fail
                    config: {times: 2}
                    retries: {max: 2, backoff: fixed, initial: 100ms}
                """);
        String job = cluster.submit("flaky", """
                {"inputs": {"in": "survived"}}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        JsonNode t = Cluster.task(view, "flaky");
        assertEquals(3, t.path("attempts").asInt());
        assertTrue(t.path("error").isNull(), "a successful task shows no error: " + t);
        assertEquals("survived", cluster.consumableText(job, "out"));
    }

    @Test
    void retriesRunOutAndTheTaskFails() {
        cluster.postPipeline("""
                name: flaky-short
                dataNodes:
                  in:
                  out:
                processNodes:
                  flaky:
                    input: [in]
                    output: [out]
                    processor: fail
                    config: {times: 2}
                    retries: {max: 1, backoff: fixed, initial: 100ms}
                """);
        String job = cluster.submit("flaky-short", """
                {"inputs": {"in": "x"}}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode t = Cluster.task(view, "flaky");
        assertEquals("FAILED", t.path("status").asText());
        assertEquals(2, t.path("attempts").asInt());
        assertTrue(t.path("error").asText().contains("failing on purpose (attempt 2)"), t.toString());
        assertEquals(404, cluster.consumable(job, "out").status());
    }

    @Test
    void aPermanentFailureFailsTheJobAndSkipsDownstream() {
        cluster.postPipeline("""
                name: doomed
                dataNodes:
                  in:
                  mid:
                  out:
                processNodes:
                  boom:
                    input: [in]
                    output: [mid]
                    processor: fail
                    config: {retryable: false, message: kaput}
                    retries: 3
                  after:
                    input: [mid]
                    output: [out]
                    processor: identity
                """);
        String job = cluster.submit("doomed", """
                {"inputs": {"in": "x"}}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        assertTrue(view.path("errored").asBoolean());
        JsonNode boom = Cluster.task(view, "boom");
        assertEquals("FAILED", boom.path("status").asText());
        assertEquals(1, boom.path("attempts").asInt(), "retryable: false is never retried, whatever the policy");
        assertTrue(boom.path("error").asText().contains("kaput (attempt 1)"), boom.toString());
        JsonNode after = Cluster.task(view, "after");
        assertEquals("SKIPPED", after.path("status").asText());
        assertEquals(0, after.path("attempts").asInt());
        assertTrue(after.path("error").asText().contains("boom"), after.toString());
        assertEquals(1, view.path("counts").path("failed").asInt());
        assertEquals(1, view.path("counts").path("skipped").asInt());
        assertEquals(0, view.path("counts").path("succeeded").asInt());
        assertEquals(404, cluster.consumable(job, "mid").status());
    }

    @Test
    void anExecProcessorRunsTheRegisteredCommandAndItsOutputIsLogged() {
        cluster.postPipeline("""
                name: exec-copy
                dataNodes:
                  x:
                  y:
                processNodes:
                  copy:
                    input: [x]
                    output: [y]
                    processor: copy_sh
                """);
        String job = cluster.submit("exec-copy", """
                {"inputs": {"x": "bytes through a shell"}}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        Cluster.Response y = cluster.consumable(job, "y");
        assertEquals("bytes through a shell", new String(y.body(), StandardCharsets.UTF_8));
        assertEquals(TEXT, y.contentType());

        List<String> lines = logLines(cluster.logs(job).path("copy"));
        assertTrue(lines.contains("#1 [stdout] copied x to y for node copy attempt 1"), "logs: " + lines);
        assertTrue(lines.contains("#1 [stderr] a note on stderr"), "logs: " + lines);
        assertEquals(List.of("#1 [stdout] copied x to y for node copy attempt 1"),
                logLines(cluster.get("/api/v1/jobs/" + job + "/logs?node=copy").json().path("logs").path("copy")).stream()
                        .filter(l -> l.contains("[stdout]")).toList());
    }

    @Test
    void aMissingJobAndAMissingConsumableAre404() {
        assertEquals(404, cluster.get("/api/v1/jobs/zzzzzzzzzzzz").status());
        Cluster.Response r = cluster.get("/api/v1/jobs/zzzzzzzzzzzz/consumables/x");
        assertEquals(404, r.status());
        assertEquals("not_found", r.json().path("error").path("code").asText());
        assertNull(r.json().path("error").get("stack"));
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Structured log lines ({attempt, line, at}) as "#attempt line". */
    private static List<String> logLines(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add("#" + n.path("attempt").asInt() + " " + n.path("line").asText()));
        return out;
    }
}
