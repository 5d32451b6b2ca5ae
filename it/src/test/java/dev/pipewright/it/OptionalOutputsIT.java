package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Optional outputs on real services: a {@code branch} node routes its input to one side and the
 * other side's tasks (and what lies below them) are SKIPPED with the reason while the job
 * succeeds; a custom (exec) processor may leave an optional output unproduced; a required output
 * left unproduced still fails its task; a branch value no case names fails for good.
 */
class OptionalOutputsIT {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(30);

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("pw-optional-it-");
        Path processors = dir.resolve("processors.yaml");
        // writes only the output named 'kept', whatever else the node declares
        Files.writeString(processors, """
                processors:
                  partial:
                    command: [sh, -c, 'printf kept > "$PW_OUTPUT_DIR/kept"']
                """);
        cluster = Cluster.builder().workers(1).concurrency(4).processorsFile(processors).start();
        cluster.postPipeline("""
                name: router
                parameters:
                  size: string
                dataNodes:
                  req:
                  big:
                    optional: true
                    source: out/${size}-big.txt
                  small:
                    optional: true
                  big_done:
                  big_final:
                  small_done:
                  report:
                processNodes:
                  route:
                    input: [req]
                    output: [big, small]
                    processor: branch
                    config:
                      on: "${size}"
                      cases: {large: big, small: small}
                  heavy:
                    input: [big]
                    output: [big_done]
                    processor: identity
                  heavy_after:
                    input: [big_done]
                    output: [big_final]
                    processor: identity
                  light:
                    input: [small]
                    output: [small_done]
                    processor: identity
                  audit:
                    input: [req]
                    output: [report]
                    processor: identity
                """);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aBranchSkipsTheSideItDidNotChooseAndTheJobSucceeds() {
        String job = cluster.submit("router", """
                {"parameters": {"size": "small"}, "inputs": {"req": "payload"}}""");
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertFalse(view.path("errored").asBoolean(), view::toPrettyString);
        assertEquals("SUCCESS", status(view, "route"));
        assertEquals("SKIPPED", status(view, "heavy"));
        assertEquals("input 'big' was not produced by 'route'", Cluster.task(view, "heavy").path("error").asText());
        assertEquals("SKIPPED", status(view, "heavy_after"), "below a skipped task is skipped");
        assertEquals("upstream task 'heavy' was skipped", Cluster.task(view, "heavy_after").path("error").asText());
        assertEquals("SUCCESS", status(view, "light"));
        assertEquals("SUCCESS", status(view, "audit"), "a task that needs neither side runs");
        assertEquals(0, Cluster.task(view, "heavy").path("attempts").asInt(), "a skipped task never ran");
        JsonNode counts = view.path("counts");
        assertEquals(5, counts.path("total").asInt());
        assertEquals(3, counts.path("succeeded").asInt());
        assertEquals(2, counts.path("skipped").asInt());
        assertEquals(0, counts.path("failed").asInt());
        assertEquals("5/5", view.path("progress").asText());
        assertEquals("payload", cluster.consumableText(job, "small_done"));
        assertEquals(404, cluster.consumable(job, "big").status(), "the branch left 'big' unproduced");
        // the optional output with a source was not produced: nothing is written, and that is no failure
        assertFalse(Files.exists(cluster.dataArea().resolve("out/small-big.txt")));
    }

    @Test
    void theOtherValueRoutesTheOtherWayAndWritesTheSink() throws Exception {
        String job = cluster.submit("router", """
                {"parameters": {"size": "large"}, "inputs": {"req": "heavy-load"},
                 "outputs": ["big_final", "small_done"]}""");
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals("SUCCESS", status(view, "heavy"));
        assertEquals("SUCCESS", status(view, "heavy_after"), "downstream of the side taken runs");
        assertEquals("SKIPPED", status(view, "light"));
        assertEquals("input 'small' was not produced by 'route'", Cluster.task(view, "light").path("error").asText());
        assertEquals("heavy-load", cluster.consumableText(job, "big_final"));
        assertEquals(404, cluster.consumable(job, "small_done").status());
        Path sink = cluster.dataArea().resolve("out/large-big.txt");
        assertTrue(Files.isRegularFile(sink), "the chosen optional output with a source was written");
        assertEquals("heavy-load", Files.readString(sink));
        List<String> logs = new ArrayList<>();
        cluster.logs(job).forEach(l -> logs.add(l.toString()));
        assertTrue(logs.stream().anyMatch(l -> l.contains("routed to 'big'")), () -> "the branch logs its choice: " + logs);
    }

    @Test
    void aBranchOnTheInputsJsonUsesItsDefaultAndFailsForGoodWithoutOne() {
        cluster.postPipeline("""
                name: kinds
                dataNodes:
                  doc:
                  a: {optional: true}
                  b: {optional: true}
                  other: {optional: true}
                  a_seen:
                  other_seen:
                processNodes:
                  by_kind:
                    input: [doc]
                    output: [a, b, other]
                    processor: branch
                    config:
                      on: {json: /meta/kind}
                      cases: {alpha: a, beta: b}
                      default: other
                  on_a:
                    input: [a]
                    output: [a_seen]
                    processor: identity
                  on_other:
                    input: [other]
                    output: [other_seen]
                    processor: identity
                """);
        String alpha = cluster.submit("kinds", """
                {"inputs": {"doc": "{\\"meta\\": {\\"kind\\": \\"alpha\\"}}"}}""");
        String unknown = cluster.submit("kinds", """
                {"inputs": {"doc": "{\\"meta\\": {\\"kind\\": \\"gamma\\"}}"}}""");
        JsonNode a = cluster.awaitJob(alpha, JOB_TIMEOUT);
        assertEquals("SUCCESS", a.path("status").asText(), a::toPrettyString);
        assertEquals("SUCCESS", status(a, "on_a"));
        assertEquals("SKIPPED", status(a, "on_other"));
        JsonNode g = cluster.awaitJob(unknown, JOB_TIMEOUT);
        assertEquals("SUCCESS", g.path("status").asText(), g::toPrettyString);
        assertEquals("SKIPPED", status(g, "on_a"));
        assertEquals("SUCCESS", status(g, "on_other"), "an unmatched value goes to the default");

        cluster.postPipeline("""
                name: strict_kinds
                dataNodes:
                  doc:
                  a: {optional: true}
                  b: {optional: true}
                  a_seen:
                processNodes:
                  by_kind:
                    input: [doc]
                    output: [a, b]
                    processor: branch
                    retries: {max: 3, backoff: fixed, initial: 100ms}
                    config:
                      on: {json: /meta/kind}
                      cases: {alpha: a, beta: b}
                  on_a:
                    input: [a]
                    output: [a_seen]
                    processor: identity
                """);
        String strict = cluster.submit("strict_kinds", """
                {"inputs": {"doc": "{\\"meta\\": {\\"kind\\": \\"gamma\\"}}"}}""");
        JsonNode s = cluster.awaitJob(strict, JOB_TIMEOUT);
        assertEquals("FAILED", s.path("status").asText(), s::toPrettyString);
        JsonNode route = Cluster.task(s, "by_kind");
        assertEquals("FAILED", route.path("status").asText());
        assertEquals(1, route.path("attempts").asInt(), "an unmatched value is not retried: " + route);
        assertTrue(route.path("error").asText().contains("'gamma', which matches no case (alpha, beta) and there is no default"),
                route::toString);
        assertEquals("SKIPPED", status(s, "on_a"));
        assertEquals("upstream task 'by_kind' did not succeed", Cluster.task(s, "on_a").path("error").asText());
    }

    @Test
    void tasksThatNeedTheSideNotTakenAreSkippedWhicheverChunkTheyAreIn() {
        // 2,000 consumers after the branch: written in chunks of 250 while the branch runs, so some are
        // written before its release (skipped by it) and others after (skipped as they are written)
        int n = 2_000;
        com.fasterxml.jackson.databind.node.ObjectNode doc = Cluster.JSON.createObjectNode();
        doc.put("name", "wide_branch");
        doc.putObject("parameters").put("side", "string");
        var data = doc.putObject("dataNodes");
        var nodes = doc.putObject("processNodes");
        data.putNull("req");
        data.putObject("left").put("optional", true);
        data.putObject("right").put("optional", true);
        var route = nodes.putObject("route");
        route.putArray("input").add("req");
        route.putArray("output").add("left").add("right");
        route.put("processor", "branch");
        var config = route.putObject("config");
        config.put("on", "${side}");
        config.putObject("cases").put("l", "left").put("r", "right");
        for (int i = 0; i < n; i++) {
            data.putNull("d" + i);
            var t = nodes.putObject("t" + i);
            t.putArray("input").add(i % 2 == 0 ? "left" : "right");
            t.putArray("output").add("d" + i);
            t.put("processor", "noop");
        }
        cluster.postPipeline(doc.toString());
        String job = cluster.submit("wide_branch", """
                {"parameters": {"side": "r"}, "inputs": {"req": "x"}}""");
        JsonNode view = cluster.awaitJob(job, Duration.ofMinutes(2));
        assertEquals("SUCCESS", view.path("status").asText(), view.path("reason")::asText);
        assertEquals((n + 1) + "/" + (n + 1), view.path("progress").asText());
        assertEquals(n / 2, view.path("counts").path("skipped").asInt());
        assertEquals(n / 2 + 1, view.path("counts").path("succeeded").asInt());
        for (JsonNode t : view.path("tasks")) {
            String node = t.path("node").asText();
            if (node.equals("route")) {
                continue;
            }
            boolean left = Integer.parseInt(node.substring(1)) % 2 == 0;
            assertEquals(left ? "SKIPPED" : "SUCCESS", t.path("status").asText(), t::toString);
            if (left) {
                assertEquals("input 'left' was not produced by 'route'", t.path("error").asText(), t::toString);
            }
        }
        assertEquals(List.of(0, 0, 0), List.of(view.path("counts").path("pending").asInt(), view.path("counts").path("ready").asInt(),
                view.path("counts").path("running").asInt()), "the state counters are back to 0");
    }

    @Test
    void aRetryRunsABranchThatLeftAnOutputUnproducedAgainInsteadOfReusingIt() {
        cluster.postPipeline("""
                name: branch_retry
                parameters:
                  size: string
                dataNodes:
                  req:
                  big: {optional: true}
                  small: {optional: true}
                  big_done:
                  small_done:
                  broken_out:
                processNodes:
                  route:
                    input: [req]
                    output: [big, small]
                    processor: branch
                    config: {on: "${size}", cases: {large: big, small: small}}
                  heavy: {input: [big], output: [big_done], processor: identity}
                  light: {input: [small], output: [small_done], processor: identity}
                  broken:
                    input: [req]
                    output: [broken_out]
                    processor: fail
                    config: {retryable: false}
                """);
        String first = cluster.submit("branch_retry", """
                {"parameters": {"size": "small"}, "inputs": {"req": "r"}}""");
        JsonNode failed = cluster.awaitJob(first, JOB_TIMEOUT);
        assertEquals("FAILED", failed.path("status").asText(), failed::toPrettyString);
        assertEquals("SKIPPED", status(failed, "heavy"));
        Cluster.Response r = cluster.post("/api/v1/jobs/" + first + "/retry", "{}", "application/json");
        assertEquals(202, r.status(), r::toString);
        String retry = r.json().path("id").asText();
        JsonNode view = cluster.awaitJob(retry, JOB_TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), "'broken' fails again: " + view.toPrettyString());
        assertEquals(first, Cluster.task(view, "light").path("reused_from").asText(), view::toPrettyString);
        assertTrue(Cluster.task(view, "route").path("reused_from").isMissingNode(), "the branch ran again: " + view.toPrettyString());
        assertEquals("SUCCESS", status(view, "route"));
        assertEquals("SKIPPED", status(view, "heavy"), "skipped again, not run without its input");
        assertEquals("input 'big' was not produced by 'route'", Cluster.task(view, "heavy").path("error").asText());
    }

    @Test
    void theBranchExampleRunsEachWay() throws Exception {
        // the it module runs in it/: the examples are one level up
        Path example = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent().resolve("examples/branch/pipeline.yaml");
        cluster.postPipeline(Files.readString(example));
        String large = cluster.submit("branch", """
                {"parameters": {"size": "large"}, "inputs": {"order": {"id": 7}}}""");
        String other = cluster.submit("branch", """
                {"parameters": {"size": "medium"}, "inputs": {"order": {"id": 8}}}""");
        JsonNode l = cluster.awaitJob(large, JOB_TIMEOUT);
        assertEquals("SUCCESS", l.path("status").asText(), l::toPrettyString);
        assertEquals(List.of("SUCCESS", "SUCCESS", "SKIPPED", "SUCCESS"),
                List.of(status(l, "route"), status(l, "freight"), status(l, "label"), status(l, "notify")));
        JsonNode o = cluster.awaitJob(other, JOB_TIMEOUT);
        assertEquals("SUCCESS", o.path("status").asText(), o::toPrettyString);
        assertEquals(List.of("SKIPPED", "SUCCESS"), List.of(status(o, "freight"), status(o, "label")), "any other size: the default");
        assertTrue(Cluster.task(o, "notify").path("started_us").asLong() >= Cluster.task(o, "route").path("ended_us").asLong(),
                "notify ran after route");
    }

    @Test
    void aCustomProcessorMayLeaveAnOptionalOutputUnproduced() {
        cluster.postPipeline("""
                name: partial_ok
                dataNodes:
                  seed:
                  kept:
                  maybe: {optional: true}
                  kept_copy:
                  maybe_copy:
                processNodes:
                  make:
                    input: [seed]
                    output: [kept, maybe]
                    processor: partial
                  use_kept:
                    input: [kept]
                    output: [kept_copy]
                    processor: identity
                  use_maybe:
                    input: [maybe, seed]
                    output: [maybe_copy]
                    processor: concat
                """);
        String job = cluster.submit("partial_ok", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertEquals("SUCCESS", status(view, "make"));
        assertEquals("SUCCESS", status(view, "use_kept"));
        assertEquals("kept", cluster.consumableText(job, "kept_copy"));
        assertEquals("SKIPPED", status(view, "use_maybe"));
        assertEquals("input 'maybe' was not produced by 'make'", Cluster.task(view, "use_maybe").path("error").asText());
    }

    @Test
    void aRequiredOutputLeftUnproducedStillFailsItsTask() {
        cluster.postPipeline("""
                name: partial_required
                dataNodes:
                  seed:
                  kept:
                  needed:
                  needed_copy:
                processNodes:
                  make:
                    input: [seed]
                    output: [kept, needed]
                    processor: partial
                  use_needed:
                    input: [needed]
                    output: [needed_copy]
                    processor: identity
                """);
        String job = cluster.submit("partial_required", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode make = Cluster.task(view, "make");
        assertEquals("FAILED", make.path("status").asText());
        assertTrue(make.path("error").asText().contains("did not write output 'needed'"), make::toString);
        assertEquals("SKIPPED", status(view, "use_needed"));
        assertEquals(404, cluster.consumable(job, "kept").status(), "a failed attempt commits no output");
    }

    @Test
    void misuseIsRefusedWithLocations() {
        Cluster.Response r = cluster.post("/api/v1/pipelines?name=bad_flow", """
                parameters:
                  size: string
                dataNodes:
                  req:
                  big: {optional: true}
                  small:
                  done:
                processNodes:
                  route:
                    input: [req]
                    output: [big, small]
                    processor: branch
                    config:
                      on: {jsn: /x}
                      cases: {large: big, small: nowhere}
                      colour: red
                  after_all:
                    input: [req]
                    output: [done]
                    processor: identity
                    after: [route, ghost, after_all]
                """, "application/yaml");
        assertEquals(400, r.status(), r::toString);
        Map<String, String> problems = problems(r);
        assertTrue(problems.get("processNodes.route.output[1]").contains("declare it optional: true"), problems::toString);
        assertTrue(problems.get("processNodes.route.config.on").contains("expected \"${parameter}\" or {json: /pointer}"),
                problems::toString);
        assertTrue(problems.get("processNodes.route.config.cases.small").contains("'nowhere' is not an output of this node"),
                problems::toString);
        assertNotNull(problems.get("processNodes.route.config.colour"), problems::toString);
        assertEquals("unknown process node 'ghost'", problems.get("processNodes.after_all.after[1]"));
        assertEquals("'after_all' cannot run after itself", problems.get("processNodes.after_all.after[2]"));

        Cluster.Response cycle = cluster.post("/api/v1/pipelines?name=bad_after_cycle", """
                dataNodes: {a: {}, b: {}, c: {}}
                processNodes:
                  first:
                    input: [a]
                    output: [b]
                    processor: identity
                    after: [second]
                  second:
                    input: [b]
                    output: [c]
                    processor: identity
                """, "application/yaml");
        assertEquals(400, cycle.status(), cycle::toString);
        assertTrue(cycle.text().contains("cycle: first -> second -> first"), cycle::toString);
        assertEquals(404, cluster.get("/api/v1/pipelines/bad_after_cycle").status(), "nothing stored");
    }

    private static Map<String, String> problems(Cluster.Response r) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        r.json().path("error").path("problems").forEach(p -> out.put(p.path("path").asText(), p.path("message").asText()));
        return out;
    }

    private static String status(JsonNode view, String node) {
        JsonNode t = Cluster.task(view, node);
        assertNotNull(t, () -> "no task " + node + " in " + view.toPrettyString());
        return t.path("status").asText();
    }
}
