package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every refusal is a clear error: a bad pipeline gets 400 with each problem and its location (or
 * 413 when the body is too large), a bad job request gets 400 naming what is wrong, never a stack
 * trace, and nothing is created for a refused request.
 */
class MalformedPipelineIT {
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A bad pipeline: its body, the status and error code expected, a problem path and a fragment of its message. */
    record Bad(String id, Supplier<String> body, int status, String code, String path, String message) {
        @Override
        public String toString() {
            return id;
        }
    }

    private static Bad bad(String id, String body, String path, String message) {
        return new Bad(id, () -> body, 400, "invalid_pipeline", path, message);
    }

    private static final String GOOD_DATA = """
            dataNodes:
              data1:
              data2:
              data3:
              data4:
            """;

    static Stream<Arguments> badPipelines() {
        List<Bad> cases = new ArrayList<>();
        cases.add(bad("unknown-data-node", GOOD_DATA + """
                processNodes:
                  task1:
                    input: [data1, data2, data9]
                    output: [data4]
                    processor: concat
                """, "processNodes.task1.input[2]", "unknown data node 'data9'"));
        cases.add(bad("duplicate-producer", GOOD_DATA + """
                processNodes:
                  task1:
                    input: [data1]
                    output: [data4]
                    processor: concat
                  task2:
                    input: [data2]
                    output: [data4]
                    processor: concat
                """, "processNodes.task2.output[0]", "already written by process node 'task1'"));
        cases.add(bad("cycle-of-two", """
                dataNodes: {x: , y: }
                processNodes:
                  t1: {input: [x], output: [y], processor: identity}
                  t2: {input: [y], output: [x], processor: identity}
                """, "processNodes.t1", "cycle: t1 -> t2 -> t1"));
        cases.add(bad("cycle-of-three", """
                dataNodes: {x: , y: , z: , seed: }
                processNodes:
                  t1: {input: [x, seed], output: [y], processor: concat}
                  t2: {input: [y], output: [z], processor: identity}
                  t3: {input: [z], output: [x], processor: identity}
                """, "processNodes.t1", "cycle: t1 -> t2 -> t3 -> t1"));
        cases.add(bad("reads-its-own-output", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1, data4], output: [data4], processor: concat}
                """, "processNodes.task1.output[0]", "both an input and an output"));
        cases.add(bad("missing-processor", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4]}
                """, "processNodes.task1.processor", "missing"));
        cases.add(bad("no-output", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], processor: concat}
                """, "processNodes.task1.output", "at least one data node"));
        cases.add(bad("empty-output-list", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [], processor: concat}
                """, "processNodes.task1.output", "at least one data node"));
        cases.add(bad("no-process-nodes", GOOD_DATA, "processNodes", "missing"));
        cases.add(bad("unknown-top-level-field", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat}
                owner: me
                """, "owner", "unknown field"));
        cases.add(bad("unknown-process-field", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat, procesor: concat}
                """, "processNodes.task1.procesor", "unknown field"));
        cases.add(bad("bad-data-node-name", """
                dataNodes:
                  1data:
                  data4:
                processNodes:
                  task1: {input: [1data], output: [data4], processor: concat}
                """, "dataNodes.1data", "bad name '1data'"));
        cases.add(bad("bad-process-node-name", GOOD_DATA + """
                processNodes:
                  "task one": {input: [data1], output: [data4], processor: concat}
                """, "processNodes.task one", "bad name 'task one'"));
        cases.add(bad("bad-processor-name", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: "rm -rf /"}
                """, "processNodes.task1.processor", "bad name"));
        cases.add(bad("input-is-a-number", GOOD_DATA + """
                processNodes:
                  task1: {input: 42, output: [data4], processor: concat}
                """, "processNodes.task1.input", "got a number"));
        cases.add(bad("timeout-is-a-number", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat, timeout: 30}
                """, "processNodes.task1.timeout", "duration"));
        cases.add(bad("retries-is-text", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat, retries: "x"}
                """, "processNodes.task1.retries", "retries"));
        cases.add(bad("bad-duration", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat, timeout: 5 parsecs}
                """, "processNodes.task1.timeout", "'5 parsecs'"));
        cases.add(bad("bad-retry-initial", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat, retries: {max: 2, initial: soon}}
                """, "processNodes.task1.retries.initial", "'soon'"));
        cases.add(bad("too-many-retries", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat, retries: {max: 1000}}
                """, "processNodes.task1.retries.max", "0 to 100"));
        cases.add(bad("bad-cron", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat}
                schedule:
                  schedule_interval: "every tuesday"
                """, "schedule.schedule_interval", "five-field cron"));
        cases.add(bad("bad-parameter-default", GOOD_DATA + """
                parameters:
                  n: {type: integer, default: many}
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat}
                """, "parameters.n.default", "integer"));
        cases.add(bad("undeclared-placeholder", """
                dataNodes:
                  data1:
                  data4: {source: "out/${nobody}.txt"}
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat}
                """, "dataNodes.data4.source", "${nobody}"));
        cases.add(bad("not-a-mapping", "- just\n- a list\n", "$", "mapping"));
        cases.add(bad("data-nodes-is-a-list", """
                dataNodes: [data1, data4]
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat}
                """, "dataNodes", "expected a mapping"));
        cases.add(bad("billion-laughs", """
                a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
                b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
                c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
                d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
                e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
                f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
                g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
                h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
                i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
                dataNodes: *i
                """, "$", "not allowed"));
        cases.add(bad("python-tag", GOOD_DATA + """
                processNodes:
                  task1:
                    input: [data1]
                    output: [data4]
                    processor: !!python/object/apply:os.system ["touch /tmp/pwned"]
                """, "$", "tags"));
        cases.add(new Bad("yaml-nesting-10000", () -> "dataNodes:\n  data1: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n",
                400, "invalid_pipeline", "$", "nesting"));
        cases.add(new Bad("json-nesting-10000", () -> "{\"dataNodes\": " + "{\"a\": ".repeat(10_000) + "1" + "}".repeat(10_001),
                400, "invalid_pipeline", "$", "nesting"));
        cases.add(bad("duplicate-yaml-keys", GOOD_DATA + """
                processNodes:
                  task1: {input: [data1], output: [data4], processor: concat}
                  task1: {input: [data2], output: [data3], processor: concat}
                """, "$", "uplicate"));
        cases.add(bad("duplicate-json-keys",
                "{\"dataNodes\": {\"data1\": null, \"data1\": null}, \"processNodes\": {}}", "$", "uplicate"));
        cases.add(bad("malformed-yaml", """
                dataNodes:
                  data1:
                processNodes:
                  task1: {input: [data1, output: data4
                """, "$", "invalid YAML"));
        cases.add(bad("malformed-json", "{\"dataNodes\": {\"data1\": null,", "$", "line"));
        cases.add(bad("empty-body", "", "$", "empty"));
        cases.add(bad("blank-body", "   \n\n  ", "$", "empty"));
        cases.add(new Bad("ten-mib", () -> GOOD_DATA + "# " + "x".repeat(10 * 1024 * 1024) + "\n",
                400, "invalid_pipeline", "$", "the limit is"));
        cases.add(new Bad("twenty-mib", () -> GOOD_DATA + "# " + "x".repeat(20 * 1024 * 1024) + "\n",
                413, "body_too_large", null, "larger than"));
        return cases.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPipelines")
    void aBadPipelineIsRefusedWithItsProblemAndLocation(Bad bad) {
        String id = "bad-" + bad.id();
        Cluster.Response r = cluster.post("/api/v1/pipelines?name=" + id, bad.body().get(), "application/yaml");
        assertEquals(bad.status(), r.status(), () -> bad.id() + ": " + r);
        assertTrue(r.contentType() != null && r.contentType().startsWith("application/json"), r::toString);
        JsonNode error = r.json().path("error");
        assertEquals(bad.code(), error.path("code").asText(), r::toString);
        assertFalse(error.path("message").asText().isBlank(), "a message: " + r);
        assertFalse(r.text().contains("\tat ") || r.text().contains("at dev.pipewright"), "no stack trace: " + r);
        if (bad.path() != null) {
            List<String> paths = new ArrayList<>();
            List<String> messages = new ArrayList<>();
            error.path("problems").forEach(p -> {
                paths.add(p.path("path").asText());
                if (p.path("path").asText().equals(bad.path())) {
                    messages.add(p.path("message").asText());
                }
            });
            assertTrue(paths.contains(bad.path()), () -> bad.id() + ": expected a problem at " + bad.path() + ", got " + r);
            assertTrue(messages.stream().anyMatch(m -> m.contains(bad.message())),
                    () -> bad.id() + ": expected '" + bad.message() + "' at " + bad.path() + ", got " + messages);
        } else {
            assertTrue(error.path("message").asText().contains(bad.message()), r::toString);
        }
        assertEquals(404, cluster.get("/api/v1/pipelines/" + id).status(), "nothing was stored for " + id);
    }

    /**
     * The table above uses the JDK client's default (HTTP/2 via h2c upgrade, where the server
     * offers it); this is the same 20 MiB refusal over plain HTTP/1.1.
     */
    @Test
    void aTwentyMebibyteBodyIsRefusedWith413OverHttp11() {
        String body = GOOD_DATA + "# " + "x".repeat(20 * 1024 * 1024) + "\n";
        Cluster.Response r = cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines?name=bad-http11"))
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .header("Content-Type", "application/yaml")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(413, r.status(), r::toString);
        assertEquals("body_too_large", r.json().path("error").path("code").asText());
        assertEquals(404, cluster.get("/api/v1/pipelines/bad-http11").status());
    }

    @Test
    void refusedPipelinesAreNotListed() {
        cluster.post("/api/v1/pipelines?name=listed-bad", "dataNodes: {}\n", "application/yaml");
        for (JsonNode p : cluster.get("/api/v1/pipelines").json().path("pipelines")) {
            assertFalse(p.path("id").asText().startsWith("bad-") || p.path("id").asText().equals("listed-bad"),
                    "a refused pipeline was stored: " + p);
        }
    }

    // ---------------------------------------------------------------- job requests

    private static final String SUBMIT_TARGET = """
            name: submit-target
            parameters:
              p: string
              n: {type: integer, default: 1}
              opt: {type: string, required: false}
            dataNodes:
              in:
              mid:
              out:
              lonely:
              orphanOut:
              x2:
              sink: {source: "out/${opt}.txt"}
            processNodes:
              first: {input: [in], output: [mid], processor: identity}
              second: {input: [mid], output: [out], processor: identity}
              unserved: {input: [in], output: [x2], processor: nobody_serves}
              needy: {input: [lonely], output: [orphanOut], processor: identity}
              sinker: {input: [in], output: [sink], processor: identity}
            """;

    record BadJob(String id, String body, int status, String code, String path, String message) {
        @Override
        public String toString() {
            return id;
        }
    }

    static Stream<Arguments> badJobs() {
        return Stream.of(
                new BadJob("unknown-parameter", """
                        {"parameters": {"p": "v", "zzz": 1}, "inputs": {"in": "x"}, "outputs": ["out"]}""",
                        400, "invalid_request", "parameters.zzz", "unknown parameter"),
                new BadJob("missing-required-parameter", """
                        {"inputs": {"in": "x"}, "outputs": ["out"]}""",
                        400, "invalid_request", "parameters.p", "missing"),
                new BadJob("wrong-parameter-type", """
                        {"parameters": {"p": "v", "n": "abc"}, "inputs": {"in": "x"}, "outputs": ["out"]}""",
                        400, "invalid_request", "parameters.n", "integer"),
                new BadJob("unknown-output", """
                        {"parameters": {"p": "v"}, "inputs": {"in": "x"}, "outputs": ["nope"]}""",
                        400, "invalid_request", "outputs[0]", "unknown data node 'nope'"),
                new BadJob("input-for-a-produced-node", """
                        {"parameters": {"p": "v"}, "inputs": {"in": "x", "mid": "m"}, "outputs": ["out"]}""",
                        400, "invalid_request", "inputs.mid", "written by process node 'first'"),
                new BadJob("unknown-input", """
                        {"parameters": {"p": "v"}, "inputs": {"in": "x", "ghost": "g"}, "outputs": ["out"]}""",
                        400, "invalid_request", "inputs.ghost", "unknown data node 'ghost'"),
                new BadJob("processor-no-worker-serves", """
                        {"parameters": {"p": "v"}, "inputs": {"in": "x"}, "outputs": ["x2"]}""",
                        400, "invalid_request", "processNodes.unserved.processor", "nobody_serves"),
                new BadJob("input-nobody-provides", """
                        {"parameters": {"p": "v"}, "inputs": {"in": "x"}, "outputs": ["orphanOut"]}""",
                        400, "invalid_request", "processNodes.needy.input", "lonely"),
                new BadJob("unset-optional-parameter-in-an-output-source", """
                        {"parameters": {"p": "v"}, "inputs": {"in": "x"}, "outputs": ["sink"]}""",
                        400, "invalid_request", "dataNodes.sink.source", "${opt}"),
                new BadJob("bad-priority", """
                        {"parameters": {"p": "v"}, "inputs": {"in": "x"}, "outputs": ["out"], "priority": "urgent"}""",
                        400, "invalid_request", "priority", "one of [low, medium, high], in any case"),
                new BadJob("unknown-request-field", """
                        {"parameters": {"p": "v"}, "inputs": {"in": "x"}, "outputs": ["out"], "colour": "blue"}""",
                        400, "invalid_request", "colour", "unknown field"),
                new BadJob("body-is-not-json", "parameters: {p: v}", 400, "bad_request", "$", "not valid JSON"),
                new BadJob("body-is-a-list", "[1, 2]", 400, "bad_request", "$", "JSON object"))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badJobs")
    void aBadJobRequestIsRefusedAndCreatesNoJob(BadJob bad) {
        if (cluster.get("/api/v1/pipelines/submit-target").status() == 404) {
            cluster.postPipeline(SUBMIT_TARGET);
        }
        int jobsBefore = cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size();
        Cluster.Response r = cluster.submitRaw("submit-target", bad.body());
        assertEquals(bad.status(), r.status(), () -> bad.id() + ": " + r);
        JsonNode error = r.json().path("error");
        assertEquals(bad.code(), error.path("code").asText(), r::toString);
        assertFalse(r.text().contains("\tat ") || r.text().contains("at dev.pipewright"), "no stack trace: " + r);
        List<String> paths = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        error.path("problems").forEach(p -> {
            paths.add(p.path("path").asText());
            if (p.path("path").asText().equals(bad.path())) {
                messages.add(p.path("message").asText());
            }
        });
        assertTrue(paths.contains(bad.path()), () -> bad.id() + ": expected a problem at " + bad.path() + ", got " + r);
        assertTrue(messages.stream().anyMatch(m -> m.contains(bad.message())),
                () -> bad.id() + ": expected '" + bad.message() + "' at " + bad.path() + ", got " + messages);
        assertEquals(jobsBefore, cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size(), "no job was created");
    }

    @Test
    void theSamePipelineRunsWhenTheRequestIsRight() {
        // the control for the refusals above: the target pipeline is runnable
        if (cluster.get("/api/v1/pipelines/submit-target").status() == 404) {
            cluster.postPipeline(SUBMIT_TARGET);
        }
        String job = cluster.submit("submit-target", """
                {"parameters": {"p": "v", "opt": "named"}, "inputs": {"in": "x"}, "outputs": ["out", "sink"]}""");
        JsonNode view = cluster.awaitJob(job, java.time.Duration.ofSeconds(30));
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals("x", cluster.consumableText(job, "out"));
    }

    @Test
    void aJobForAnUnknownPipelineIs404() {
        Cluster.Response r = cluster.submitRaw("no-such-pipeline", "{}");
        assertEquals(404, r.status(), r::toString);
        assertEquals("not_found", r.json().path("error").path("code").asText());
    }
}
