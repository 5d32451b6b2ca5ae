package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cli;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A job's own listings against a real job run by in-JVM workers: {@code GET /jobs/{id}/tasks} pages
 * the tasks in execution order, rows equal to those of {@code GET /jobs/{id}}, filters by state (any
 * case) and refuses foreign cursors; {@code GET /jobs/{id}/consumables} pages the values (past the
 * size where Redis keeps a hash compact, so HSCAN really pages), small ones inline as text or base64,
 * large ones only sized; both answer 404 for someone else's job; the job summary carries its times in µs.
 */
class JobListingsIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** Tasks copying the seed: more than Redis's compact-hash limit, so the consumables hash is a real hash table. */
    static int copies;
    private static final String BIG = "x".repeat(3000);
    private static final byte[] BLOB = {(byte) 0xff, 0, 1, 2, (byte) 0xfe};
    static Cluster cluster;
    static String job;
    static JsonNode full;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(8).start();
        // a hash of up to hash-max-listpack-entries fields is one compact block that HSCAN answers whole
        int compact = Integer.parseInt(cluster.redis().configGet("hash-max-listpack-entries").values().iterator().next());
        copies = Math.min(2_000, compact + 40);
        StringBuilder yaml = new StringBuilder("""
                name: listings
                dataNodes:
                  seed: {}
                  blob: {}
                  big: {}
                  doc: {}
                  bigcopy: {}
                  blobcopy: {}
                  never: {}
                  later: {}
                """);
        for (int i = 0; i < copies; i++) {
            yaml.append(String.format(Locale.ROOT, "  o%03d: {}%n", i));
        }
        yaml.append("""
                processNodes:
                  big_copy: {input: [big], output: [bigcopy], processor: identity}
                  blob_copy: {input: [blob], output: [blobcopy], processor: identity}
                  boom: {input: [seed], output: [never], processor: fail, config: {retryable: false}}
                  after: {input: [never], output: [later], processor: identity}
                """);
        for (int i = 0; i < copies; i++) {
            yaml.append(String.format(Locale.ROOT, "  copy_%03d: {input: [seed], output: [o%03d], processor: identity}%n", i, i));
        }
        cluster.postPipeline(yaml.toString());
        job = cluster.submit("listings", "{\"inputs\": {\"seed\": \"hello\", \"big\": \"" + BIG + "\", \"doc\": {\"a\": 1},"
                + " \"blob\": {\"base64\": \"" + Base64.getEncoder().encodeToString(BLOB) + "\"}}}");
        full = cluster.awaitJob(job, WAIT);
        assertEquals("FAILED", full.path("status").asText(), full::toPrettyString);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonNode get(String path) {
        Cluster.Response r = cluster.get(path);
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    /** Follows every cursor; returns the rows of the field and how many pages it took. */
    private static List<JsonNode> all(String path, String field, int[] pages) {
        List<JsonNode> rows = new ArrayList<>();
        String cursor = null;
        int n = 0;
        do {
            JsonNode page = get(path + (path.contains("?") ? "&" : "?") + (cursor == null ? "" : "page_after=" + cursor));
            page.path(field).forEach(rows::add);
            cursor = page.path("next_page_after").isNull() ? null : page.path("next_page_after").asText();
            assertTrue(++n < 1000, "runaway paging");
        } while (cursor != null);
        pages[0] = n;
        return rows;
    }

    @Test
    void tasksPageInExecutionOrderWithTheRowsOfTheJobView() {
        int tasks = copies + 4;
        assertEquals(tasks, full.path("tasks").size());
        int[] pages = {0};
        List<JsonNode> rows = all("/api/v1/jobs/" + job + "/tasks?page_size=50", "tasks", pages);
        assertEquals((tasks + 49) / 50, pages[0], "pages of 50");
        assertEquals(tasks, rows.size());
        for (int i = 0; i < tasks; i++) {
            assertEquals(full.path("tasks").get(i), rows.get(i), "row " + i);
        }
        // the default page is 100 tasks, and the last page says so with a null cursor
        JsonNode first = get("/api/v1/jobs/" + job + "/tasks");
        assertEquals(100, first.path("tasks").size());
        JsonNode rest = get("/api/v1/jobs/" + job + "/tasks?page_size=1000&page_after=" + first.path("next_page_after").asText());
        assertEquals(Math.min(1000, tasks - 100), rest.path("tasks").size());
        assertEquals(tasks - 100 <= 1000, rest.path("next_page_after").isNull(), rest::toPrettyString);
    }

    @Test
    void aStatusFilterKeepsOnlyThoseStatesInAnyCase() {
        int[] pages = {0};
        List<JsonNode> bad = all("/api/v1/jobs/" + job + "/tasks?status=failed,Skipped&page_size=1", "tasks", pages);
        List<String> seen = new ArrayList<>();
        bad.forEach(t -> seen.add(t.path("node").asText() + " " + t.path("status").asText()));
        assertEquals(List.of("boom FAILED", "after SKIPPED"), seen);
        assertTrue(bad.get(0).path("error").asText().contains("failing on purpose"), bad.get(0)::toPrettyString);
        JsonNode ok = get("/api/v1/jobs/" + job + "/tasks?status=SUCCESS&status=RUNNING&page_size=1000");
        assertEquals(copies + 2, ok.path("tasks").size());
        ok.path("tasks").forEach(t -> {
            assertEquals("SUCCESS", t.path("status").asText());
            assertEquals(1, t.path("attempts").asInt());
        });
        assertTrue(ok.path("next_page_after").isNull());
        assertEquals(0, get("/api/v1/jobs/" + job + "/tasks?status=RETRY_WAIT").path("tasks").size());
    }

    @Test
    void badFiltersAndForeignCursorsAre400() {
        assertEquals(400, cluster.get("/api/v1/jobs/" + job + "/tasks?status=DONE").status());
        assertEquals(400, cluster.get("/api/v1/jobs/" + job + "/tasks?page_size=1001").status());
        assertEquals(400, cluster.get("/api/v1/jobs/" + job + "/tasks?page_after=nonsense").status());
        String tasksCursor = get("/api/v1/jobs/" + job + "/tasks?page_size=1").path("next_page_after").asText();
        Cluster.Response crossed = cluster.get("/api/v1/jobs/" + job + "/consumables?page_after=" + tasksCursor);
        assertEquals(400, crossed.status(), crossed::toString);
        assertEquals("page_after", crossed.json().path("error").path("problems").path(0).path("path").asText(), crossed::toString);
        // a cursor of another job
        String other = cluster.submit("listings", "{\"inputs\": {\"seed\": \"s\", \"big\": \"b\", \"doc\": 1, \"blob\": \"z\"}, \"start\": false}");
        String otherCursor = get("/api/v1/jobs/" + other + "/tasks?page_size=1").path("next_page_after").asText();
        assertEquals(400, cluster.get("/api/v1/jobs/" + job + "/tasks?page_after=" + otherCursor).status());
        // a built job's tasks wait: all listed, none started
        JsonNode built = get("/api/v1/jobs/" + other + "/tasks?page_size=1000");
        assertEquals(copies + 4, built.path("tasks").size());
        built.path("tasks").forEach(t -> assertTrue(t.path("started_us").isNull(), t::toString));
        assertEquals(202, cluster.post("/api/v1/jobs/" + other + "/cancel", "", "application/json").status());
    }

    @Test
    void consumablesPageWithSmallValuesInline() {
        int[] pages = {0};
        List<JsonNode> entries = all("/api/v1/jobs/" + job + "/consumables?page_size=20", "consumables", pages);
        assertTrue(pages[0] > 1, "a hash of " + (copies + 6) + " fields is scanned in more than one page of 20, got " + pages[0]);
        Map<String, JsonNode> byNode = new HashMap<>();
        for (JsonNode e : entries) {
            byNode.put(e.path("node").asText(), e); // HSCAN may repeat an entry; it never misses one
        }
        Set<String> expected = new HashSet<>(List.of("seed", "blob", "big", "doc", "bigcopy", "blobcopy"));
        for (int i = 0; i < copies; i++) {
            expected.add(String.format(Locale.ROOT, "o%03d", i));
        }
        assertEquals(expected, byNode.keySet(), "every value written, nothing of the failed branch");
        JsonNode seed = byNode.get("seed");
        assertEquals("hello", seed.path("value").asText());
        assertEquals(5, seed.path("size").asInt());
        assertTrue(seed.path("content_type").asText().startsWith("text/plain"), seed::toString);
        assertEquals("hello", byNode.get(String.format(Locale.ROOT, "o%03d", copies - 1)).path("value").asText());
        JsonNode doc = byNode.get("doc");
        assertEquals("application/json", doc.path("content_type").asText());
        assertEquals("{\"a\":1}", doc.path("value").asText());
        for (String n : List.of("blob", "blobcopy")) {
            JsonNode blob = byNode.get(n);
            assertEquals(Base64.getEncoder().encodeToString(BLOB), blob.path("value_base64").asText(), blob::toString);
            assertFalse(blob.has("value"));
            assertEquals(BLOB.length, blob.path("size").asInt());
        }
        for (String n : List.of("big", "bigcopy")) {
            JsonNode big = byNode.get(n);
            assertEquals(BIG.length(), big.path("size").asInt());
            assertFalse(big.has("value") || big.has("value_base64"), big::toString);
            assertEquals(BIG, cluster.consumableText(job, n));
        }
        // entries are unique within a page, sorted by node
        JsonNode one = get("/api/v1/jobs/" + job + "/consumables?page_size=1000");
        List<String> names = new ArrayList<>();
        one.path("consumables").forEach(e -> names.add(e.path("node").asText()));
        assertEquals(names.stream().sorted().distinct().toList(), names);
    }

    @Test
    void someoneElsesJobIsNotFoundAndTheSummaryCarriesItsTimes() {
        String mallory = cluster.createToken("mallory", "read", "mallory");
        for (String path : List.of("/tasks", "/consumables", "/tasks?status=FAILED")) {
            Cluster.Response r = cluster.as(mallory, "GET", "/api/v1/jobs/" + job + path, null);
            assertEquals(404, r.status(), r::toString);
            assertEquals(404, cluster.get("/api/v1/jobs/jnotajob00000000000" + path).status());
        }
        JsonNode summary = get("/api/v1/jobs/" + job + "?tasks=false");
        long created = summary.path("created_us").asLong();
        long started = summary.path("started_us").asLong();
        long finished = summary.path("finished_us").asLong();
        assertTrue(created > 0 && created <= started && started <= finished, summary::toPrettyString);
        assertEquals((finished - started) / 1000.0, summary.path("duration_ms").asDouble(), 1e-9);
        assertFalse(summary.has("tasks"));
        // the listing's summaries carry them too
        JsonNode listed = get("/api/v1/jobs?pipeline=listings&status=FAILED").path("jobs").path(0);
        assertEquals(finished, listed.path("finished_us").asLong(), listed::toPrettyString);
    }

    @Test
    void statusShowsAPageOfTasksFromTheListing() {
        Cli cli = new Cli(cluster);
        Cli.Result shown = cli.run("status", job, "--max-tasks", "10");
        assertEquals(0, shown.exit(), shown::toString);
        assertTrue(shown.out().contains("copy_000"), shown.out());
        assertTrue(shown.out().contains("more tasks"), shown.out());
        Cli.Result failed = cli.run("status", job, "--task-status", "failed");
        assertEquals(0, failed.exit(), failed::toString);
        assertTrue(failed.out().contains("boom") && !failed.out().contains("copy_000"), failed.out());
        JsonNode json = cli.run("status", job, "--json").json();
        assertEquals(Math.min(1000, copies + 4), json.path("tasks").size(), "--json lists the tasks up to --max-tasks (default 1000)");
        assertEquals(copies + 4 > 1000, json.has("tasks_next_page_after"), json.toString());
        assertNotNull(json.get("finished_us"));
    }
}
