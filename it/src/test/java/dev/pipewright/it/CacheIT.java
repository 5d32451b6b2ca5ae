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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memoised results across jobs (docs/design.md "Memoised results"), on real services. Which nodes
 * really ran is read from a record the processor itself writes: every run of the {@code step}
 * command appends {@code <job> <node>} to an audit file before it writes its outputs (no code of
 * the engine writes that file).
 */
class CacheIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String PIPELINE = """
            name: memo
            dataNodes: {a: {}, b: {}, xa: {}, xb: {}, ab: {}, out: {}}
            processNodes:
              prepA: {input: [a], output: [xa], processor: step, cache: true}
              prepB: {input: [b], output: [xb], processor: step, cache: true}
              join: {input: [xa, xb], output: [ab], processor: step, cache: {key: inputs, ttl: 30d}}
              final: {input: [ab], output: [out], processor: step, cache: true}
            """;

    static Cluster cluster;
    static Path audit;
    static String memo;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("pw-cache-it-");
        audit = dir.resolve("audit.log");
        Files.writeString(audit, "");
        Path processors = dir.resolve("processors.yaml");
        Files.writeString(processors, """
                processors:
                  step:
                    command: [sh, -c, 'echo "$PW_JOB_ID $PW_NODE" >> "$AUDIT"; for o in $(echo "$PW_OUTPUTS" | tr , " "); do { for i in $(echo "$PW_INPUTS" | tr , " "); do cat "$PW_INPUT_DIR/$i"; done; echo -n ">$PW_NODE"; } > "$PW_OUTPUT_DIR/$o"; done']
                    env: {AUDIT: "%s"}
                  clock:
                    command: [sh, -c, 'date +%%s%%N > "$PW_OUTPUT_DIR/$PW_OUTPUTS"']
                    deterministic: false
                """.formatted(audit));
        cluster = Cluster.builder().workers(1).concurrency(4).processorsFile(processors).start();
        memo = cluster.postPipeline(PIPELINE).path("id").asText();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The nodes the processor says it ran for this job. */
    private static Set<String> ran(String job) throws Exception {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(audit)) {
            String[] f = line.trim().split(" ");
            if (f.length == 2 && f[0].equals(job)) {
                assertTrue(out.add(f[1]), "node " + f[1] + " of " + job + " ran twice: " + Files.readString(audit));
            }
        }
        return out;
    }

    private static String job(String pipeline, String body) {
        String id = cluster.submit(pipeline, body);
        JsonNode view = cluster.awaitJob(id, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        return id;
    }

    private static JsonNode view(String job) {
        return cluster.job(job);
    }

    /** Per node of the plan's cache view, its marks ("[*] ( )"). */
    private static Map<String, String> marks(JsonNode plan) {
        Map<String, String> out = new LinkedHashMap<>();
        assertTrue(plan.path("cache").isObject(), () -> "a cache view: " + plan.toPrettyString());
        plan.path("cache").path("nodes").forEach(n -> out.put(n.path("node").asText(), n.path("marks").asText()));
        return out;
    }

    private static JsonNode plan(String body) {
        Cluster.Response r = cluster.post("/api/v1/pipelines/" + memo + "/plan", body, "application/json");
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    private static void assertCached(String job, String node, String from) {
        JsonNode t = Cluster.task(view(job), node);
        assertEquals("CACHED", t.path("status").asText(), t::toString);
        assertEquals(from, t.path("cached_from").asText(), t::toString);
    }

    /** Taken from the cache at submit: never dispatched, no attempt. */
    private static void assertCachedAtSubmit(String job, String node, String from) {
        assertCached(job, node, from);
        assertEquals(0, Cluster.task(view(job), node).path("attempts").asInt());
    }

    @Test
    void secondSubmissionRunsOnlyWhatChangedAndThePlanSaysSoBeforehand() throws Exception {
        Map<String, String> none = marks(cluster.get("/api/v1/pipelines/" + memo + "/plan").json());
        assertEquals("[ ] (>)", none.get("prepA"), "no values given: no key, so no result known: " + none);

        String first = job(memo, """
                {"inputs": {"a": "A", "b": "B"}}""");
        assertEquals(Set.of("prepA", "prepB", "join", "final"), ran(first));
        String out = cluster.consumableText(first, "out");

        // the plan for the same values: every result available, nothing runs
        Map<String, String> same = marks(plan("""
                {"inputs": {"a": "A", "b": "B"}}"""));
        assertEquals(Map.of("prepA", "[*] ( )", "prepB", "[*] ( )", "join", "[*] ( )", "final", "[*] ( )"), same);

        String second = job(memo, """
                {"inputs": {"a": "A", "b": "B"}}""");
        assertEquals(Set.of(), ran(second), "nothing ran again");
        for (String node : List.of("prepA", "prepB", "join", "final")) {
            assertCachedAtSubmit(second, node, first);
        }
        assertEquals(out, cluster.consumableText(second, "out"));
        assertEquals(4, view(second).path("counts").path("succeeded").asInt(), view(second).path("counts")::toString);

        // one input changed: the plan says only its branch and what is downstream runs, and so it is
        Map<String, String> changed = marks(plan("""
                {"inputs": {"a": "A", "b": "C"}}"""));
        assertEquals(Map.of("prepA", "[*] ( )", "prepB", "[ ] (>)", "join", "[ ] (>)", "final", "[ ] (H)"), changed);
        String third = job(memo, """
                {"inputs": {"a": "A", "b": "C"}}""");
        assertEquals(Set.of("prepB", "join", "final"), ran(third));
        assertCachedAtSubmit(third, "prepA", first);
        assertEquals("A>prepAC>prepB>join>final", cluster.consumableText(third, "out"));

        Map<String, String> after = marks(plan("""
                {"inputs": {"a": "A", "b": "C"}}"""));
        assertEquals(Map.of("prepA", "[*] ( )", "prepB", "[*] ( )", "join", "[*] ( )", "final", "[*] ( )"), after);

        // the CLI shows seed 001's view
        CancelIT.Cli cli = CancelIT.Cli.run("plan", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(),
                "--pipeline", memo, "--input", "a=A", "--input", "b=D");
        assertEquals(0, cli.exitCode(), cli::toString);
        assertTrue(cli.out().contains("Result availability: [*] available - [ ] n/a - [x] no cache."), cli::toString);
        assertTrue(cli.out().contains(" [*] ( ) prepA"), cli::toString);
        assertTrue(cli.out().contains(" [ ] (>) prepB"), cli::toString);
        assertTrue(cli.out().contains(" [ ] (H) final"), cli::toString);

        // refresh runs the node although its result is stored; the plan cannot know what it will write, so
        // it shows its downstream as will run, but join wrote the same bytes as before: the worker that
        // claimed final found its result under the key of those bytes and did not run it
        Map<String, String> refreshPlan = marks(plan("""
                {"inputs": {"a": "A", "b": "C"}, "refresh": ["join"]}"""));
        assertEquals(Map.of("prepA", "[*] ( )", "prepB", "[*] ( )", "join", "[*] (>)", "final", "[ ] (H)"), refreshPlan);
        String refreshed = job(memo, """
                {"inputs": {"a": "A", "b": "C"}, "refresh": ["join"]}""");
        assertEquals(Set.of("join"), ran(refreshed));
        assertCached(refreshed, "prepA", first);
        assertCached(refreshed, "prepB", third);
        assertCached(refreshed, "final", third);
        assertEquals(1, Cluster.task(view(refreshed), "final").path("attempts").asInt(), "claimed, found, not run");
        assertEquals("A>prepAC>prepB>join>final", cluster.consumableText(refreshed, "out"));

        // --no-cache runs everything, through the CLI
        CancelIT.Cli submit = CancelIT.Cli.run("submit", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(),
                memo, "--input", "a=A", "--input", "b=C", "--no-cache");
        assertEquals(0, submit.exitCode(), submit::toString);
        String uncached = submit.out().trim();
        assertEquals("SUCCESS", cluster.awaitJob(uncached, TIMEOUT).path("status").asText());
        assertEquals(Set.of("prepA", "prepB", "join", "final"), ran(uncached));

        Cluster.Response unknown = cluster.submitRaw(memo, """
                {"inputs": {"a": "A", "b": "C"}, "refresh": ["nope"]}""");
        assertEquals(400, unknown.status(), unknown::toString);
        assertEquals("refresh[0]", unknown.json().path("error").path("problems").get(0).path("path").asText(), unknown::toString);
    }

    @Test
    void entriesAreListedReadAndDeletedByTheirPipelinesOwnerOrAnAdmin() throws Exception {
        String p = cluster.postPipeline(PIPELINE.replace("name: memo", "name: memo-api")).path("id").asText();
        String first = job(p, """
                {"inputs": {"a": "1", "b": "2"}}""");
        assertEquals(4, ran(first).size());

        JsonNode list = cluster.get("/api/v1/cache?pipeline=" + p).json();
        assertEquals(4, list.path("entries").size(), list::toPrettyString);
        JsonNode one = cluster.get("/api/v1/cache?pipeline=" + p + "&node=prepA").json();
        assertEquals(1, one.path("entries").size(), one::toPrettyString);
        String key = one.path("entries").get(0).path("key").asText();
        assertEquals(first, one.path("entries").get(0).path("job").asText());
        JsonNode paged = cluster.get("/api/v1/cache?pipeline=" + p + "&page_size=3").json();
        assertEquals(3, paged.path("entries").size());
        JsonNode rest = cluster.get("/api/v1/cache?pipeline=" + p + "&page_size=3&page_after=" + paged.path("next_page_after").asText()).json();
        assertEquals(1, rest.path("entries").size(), rest::toPrettyString);

        CancelIT.Cli listed = CancelIT.Cli.run("cache", "list", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(),
                "--pipeline", p, "--node", "prepB");
        assertEquals(0, listed.exitCode(), listed::toString);
        assertTrue(listed.out().contains("prepB") && !listed.out().contains("prepA"), listed::toString);

        JsonNode entry = cluster.get("/api/v1/cache/" + key).json();
        assertEquals("prepA", entry.path("node").asText());
        assertEquals("xa", entry.path("outputs").get(0).path("data_node").asText());
        assertEquals(64, entry.path("outputs").get(0).path("digest").asText().length());

        String reader = cluster.createToken("cache-reader", "read", "someone");
        assertEquals(200, cluster.as(reader, "GET", "/api/v1/cache/" + key, null).status());
        assertEquals(403, cluster.as(reader, "DELETE", "/api/v1/cache/" + key, null).status());
        String stranger = cluster.createToken("cache-stranger", "submit", "someone-else");
        assertEquals(403, cluster.as(stranger, "DELETE", "/api/v1/cache/" + key, null).status());
        assertEquals(400, cluster.get("/api/v1/cache/not-a-key").status());

        assertEquals(204, cluster.as(cluster.adminToken(), "DELETE", "/api/v1/cache/" + key, null).status());
        assertEquals(404, cluster.get("/api/v1/cache/" + key).status());
        // prepA's result is gone: it runs again; what reads its output has no key before it ran, so its
        // workers look the results up when they claim them, and find them (prepA wrote the same bytes)
        String second = job(p, """
                {"inputs": {"a": "1", "b": "2"}}""");
        assertEquals(Set.of("prepA"), ran(second));
        assertCached(second, "prepB", first);
        assertCached(second, "join", first);
        assertCached(second, "final", first);

        Cluster.Response all = cluster.as(cluster.adminToken(), "DELETE", "/api/v1/cache?pipeline=" + p, null);
        assertEquals(200, all.status(), all::toString);
        assertEquals(4, all.json().path("deleted").asInt(), all::toString);
        assertEquals(0, cluster.get("/api/v1/cache?pipeline=" + p).json().path("entries").size());
        assertEquals(400, cluster.as(cluster.adminToken(), "DELETE", "/api/v1/cache", null).status());
    }

    @Test
    void entriesExpireWithTheirTtl() throws Exception {
        String p = cluster.postPipeline("""
                name: memo-ttl
                dataNodes: {a: {}, x: {}}
                processNodes:
                  only: {input: [a], output: [x], processor: step, cache: {ttl: 2s}}
                """).path("id").asText();
        String first = job(p, """
                {"inputs": {"a": "t"}}""");
        assertEquals(Set.of("only"), ran(first));
        String second = job(p, """
                {"inputs": {"a": "t"}}""");
        assertEquals(Set.of(), ran(second));
        assertCached(second, "only", first);
        String key = cluster.get("/api/v1/cache?pipeline=" + p).json().path("entries").get(0).path("key").asText();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (cluster.get("/api/v1/cache/" + key).status() != 404) {
            assertTrue(System.nanoTime() < deadline, "the entry outlived its TTL");
            Thread.sleep(200);
        }
        assertEquals(0, cluster.get("/api/v1/cache?pipeline=" + p).json().path("entries").size());
        String third = job(p, """
                {"inputs": {"a": "t"}}""");
        assertEquals(Set.of("only"), ran(third), "an expired result is not reused");
    }

    @Test
    void cacheOnANonDeterministicProcessorIsRefusedWithItsLocation() {
        String yaml = """
                name: memo-clock
                dataNodes: {t: {}}
                processNodes:
                  tick: {input: [], output: [t], processor: clock, cache: true}
                """;
        Cluster.Response created = cluster.post("/api/v1/pipelines", yaml, "application/yaml");
        assertEquals(400, created.status(), created::toString);
        List<String> paths = new ArrayList<>();
        created.json().path("error").path("problems").forEach(pr -> paths.add(pr.path("path").asText()));
        assertEquals(List.of("processNodes.tick.cache"), paths, created::toString);
        assertTrue(created.text().contains("non-deterministic"), created::toString);
        Cluster.Response validated = cluster.post("/api/v1/pipelines/validate", yaml, "application/yaml");
        assertEquals(200, validated.status());
        assertFalse(validated.json().path("valid").asBoolean(), validated::toString);
        // without cache the same node is fine, and runs every time
        JsonNode ok = cluster.postPipeline(yaml.replace("name: memo-clock", "name: memo-clock2").replace(", cache: true", ""));
        assertNotNull(ok.path("id").asText());
    }
}
