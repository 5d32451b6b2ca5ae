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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stored pipelines end to end: listing with pages, a version by number, the versions list and the
 * owner and time fields; only the owner (or an admin) posts a version or deletes; a delete keeps
 * version numbers going, keeps what ended jobs ran readable (their graph, their listing by
 * pipeline), refuses a re-run of them, and is atomic against a submit; the CLI's pipelines commands.
 */
class PipelinesIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    static Cluster cluster;
    static Cli cli;
    static String alice;
    static String bob;
    static String carol;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).start();
        cli = new Cli(cluster);
        alice = cluster.createToken("alice", "submit", null);
        bob = cluster.createToken("bob", "submit", null);
        carol = cluster.createToken("carol", "submit", null);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A one-step pipeline named {@code name} whose nodes are {@code in} -> {@code step} -> {@code out}. */
    private static String pipeline(String name, String in, String step, String out) {
        return "name: " + name + "\ndataNodes:\n  " + in + ":\n  " + out + ":\nprocessNodes:\n  " + step
                + ":\n    input: [" + in + "]\n    output: [" + out + "]\n    processor: identity\n";
    }

    private static Cluster.Response post(String token, String yaml) {
        return cluster.sendRaw(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/yaml").timeout(WAIT)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(yaml)).build());
    }

    private static Set<String> ids(JsonNode list) {
        Set<String> out = new HashSet<>();
        list.forEach(n -> out.add(n.path("id").asText()));
        return out;
    }

    @Test
    void listGetVersionsAndDeleteWithOwnerAndTimes() {
        Instant before = Instant.now().minusSeconds(5);
        for (String p : List.of("page-a", "page-b", "page-c")) {
            assertEquals(201, post(carol, pipeline(p, "in", "step", "out")).status());
        }
        Cluster.Response v2 = post(carol, pipeline("page-a", "in", "step2", "out"));
        assertEquals(201, v2.status(), v2::toString);
        assertEquals(2, v2.json().path("version").asInt());

        // pages of one, most recently updated first: page-a (v2) before page-c before page-b
        List<String> seen = new ArrayList<>();
        String after = null;
        for (int pages = 0; pages < 20; pages++) {
            JsonNode page = cluster.as(carol, "GET", "/api/v1/pipelines?owner=carol&page_size=1" + (after == null ? "" : "&page_after=" + after), null).json();
            assertTrue(page.path("pipelines").size() <= 1, page::toString);
            page.path("pipelines").forEach(p -> seen.add(p.path("id").asText()));
            after = page.path("next_page_after").textValue();
            if (after == null) {
                break;
            }
        }
        assertEquals(List.of("page-a", "page-c", "page-b"), seen);

        JsonNode listed = cluster.get("/api/v1/pipelines?owner=carol").json().path("pipelines").get(0);
        assertEquals("page-a", listed.path("id").asText());
        assertEquals(2, listed.path("latest_version").asInt());
        assertEquals("carol", listed.path("owner").asText());
        Instant created = Instant.parse(listed.path("created_at").asText());
        Instant updated = Instant.parse(listed.path("updated_at").asText());
        assertTrue(!created.isBefore(before) && !updated.isBefore(created), listed::toString);

        JsonNode first = cluster.get("/api/v1/pipelines/page-a?version=1").json();
        assertEquals(1, first.path("version").asInt());
        assertEquals(2, first.path("latest_version").asInt());
        assertEquals("carol", first.path("owner").asText());
        assertTrue(first.path("source").asText().contains("step:"), first::toString);
        assertEquals("[\"step\"]", first.path("process_nodes").toString());
        JsonNode latest = cluster.get("/api/v1/pipelines/page-a").json();
        assertEquals(2, latest.path("version").asInt());
        assertEquals("[\"step2\"]", latest.path("process_nodes").toString());
        assertTrue(Instant.parse(latest.path("created_at").asText()).compareTo(Instant.parse(first.path("created_at").asText())) >= 0);

        JsonNode versions = cluster.get("/api/v1/pipelines/page-a/versions").json();
        assertEquals(2, versions.path("latest_version").asInt());
        assertEquals(2, versions.path("versions").size());
        assertEquals(1, versions.path("versions").get(0).path("version").asInt(), "oldest first");
        assertEquals("carol", versions.path("versions").get(1).path("owner").asText());
        assertNotNull(versions.path("versions").get(1).path("created_at").textValue());

        Cluster.Response deleted = cluster.as(carol, "DELETE", "/api/v1/pipelines/page-b", null);
        assertEquals(200, deleted.status(), deleted::toString);
        assertTrue(deleted.json().path("deleted").asBoolean());
        assertEquals(1, deleted.json().path("versions").asInt());
        assertEquals(404, cluster.get("/api/v1/pipelines/page-b").status());
        assertEquals(404, cluster.get("/api/v1/pipelines/page-b/versions").status());
        assertFalse(ids(cluster.get("/api/v1/pipelines?owner=carol").json().path("pipelines")).contains("page-b"));
    }

    @Test
    void onlyTheOwnerOrAnAdminPostsAVersionOrDeletes() {
        assertEquals(201, post(alice, pipeline("alices", "in", "step", "out")).status());
        Map<String, String> state = cluster.snapshot();
        Cluster.Response version = post(bob, pipeline("alices", "in", "hijack", "out"));
        assertEquals(403, version.status(), version::toString);
        assertEquals("forbidden", version.json().path("error").path("code").asText());
        assertTrue(version.json().path("error").path("message").asText().contains("belongs to owner 'alice'"), version::toString);
        Cluster.Response delete = cluster.as(bob, "DELETE", "/api/v1/pipelines/alices", null);
        assertEquals(403, delete.status(), delete::toString);
        assertTrue(delete.json().path("error").path("message").asText().contains("only its owner or an admin may delete it"), delete::toString);
        assertEquals(state, cluster.snapshot(), "a refused version or delete changed nothing");

        // the owner and an admin may
        assertEquals(2, post(alice, pipeline("alices", "in", "step2", "out")).json().path("version").asInt());
        Cluster.Response admin = cluster.post("/api/v1/pipelines", pipeline("alices", "in", "step3", "out"), "application/yaml");
        assertEquals(201, admin.status(), admin::toString);
        assertEquals("alice", cluster.get("/api/v1/pipelines/alices").json().path("owner").asText(), "an admin's version keeps the owner");
        assertEquals(200, cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/alices")).DELETE()).status());
    }

    @Test
    void deleteKeepsVersionNumbersAndWhatEndedJobsRan() {
        assertEquals(201, post(alice, pipeline("gamma", "raw", "old_step", "done")).status());
        Cluster.Response sub = cluster.as(alice, "POST", "/api/v1/pipelines/gamma/jobs", "{\"inputs\": {\"raw\": \"x\"}}");
        assertEquals(202, sub.status(), sub::toString);
        String job = sub.json().path("id").asText();
        assertEquals("SUCCESS", cluster.awaitJob(job, WAIT).path("status").asText());
        Cluster.Response run = cluster.as(alice, "POST", "/api/v1/runs", "{\"pipeline_id\": \"gamma\"}");
        assertEquals(201, run.status(), run::toString);

        assertEquals(200, cluster.as(alice, "DELETE", "/api/v1/pipelines/gamma", null).status());
        // nothing is submitted to it any more, straight or through a run bound to it
        assertEquals(404, cluster.as(alice, "POST", "/api/v1/pipelines/gamma/jobs", "{\"inputs\": {\"raw\": \"x\"}}").status());
        Cluster.Response viaRun = cluster.as(alice, "POST", "/api/v1/runs/" + run.json().path("id").asText() + "/jobs", "{\"inputs\": {\"raw\": \"x\"}}");
        assertEquals(409, viaRun.status(), viaRun::toString);
        // the ended job is still listed by its pipeline and drawn with the version it ran
        assertTrue(ids(cluster.as(alice, "GET", "/api/v1/jobs?pipeline=gamma", null).json().path("jobs")).contains(job));
        Cluster.Response graph = cluster.as(alice, "GET", "/api/v1/jobs/" + job + "/graph?format=dot", null);
        assertEquals(200, graph.status(), graph::toString);
        assertTrue(graph.text().contains("old_step") && graph.text().contains("gamma v1"), graph.text());
        Cluster.Response rerun = cluster.as(alice, "POST", "/api/v1/jobs/" + job + "/retry", "{}");
        assertEquals(409, rerun.status(), rerun::toString);
        assertTrue(rerun.json().path("error").path("message").asText().contains("was deleted"), rerun::toString);

        // posting the id again starts a new pipeline whose versions number on; the old job keeps its v1
        Cluster.Response again = post(bob, pipeline("gamma", "raw", "new_step", "done"));
        assertEquals(201, again.status(), again::toString);
        assertEquals(2, again.json().path("version").asInt(), "version numbers never restart");
        JsonNode now = cluster.get("/api/v1/pipelines/gamma").json();
        assertEquals("bob", now.path("owner").asText(), "after a delete the id is free");
        assertEquals(404, cluster.get("/api/v1/pipelines/gamma?version=1").status(), "the deleted version is not the new pipeline's");
        assertEquals(1, cluster.get("/api/v1/pipelines/gamma/versions").json().path("versions").size());
        Cluster.Response oldGraph = cluster.as(alice, "GET", "/api/v1/jobs/" + job + "/graph?format=dot", null);
        assertTrue(oldGraph.text().contains("old_step") && !oldGraph.text().contains("new_step"), oldGraph.text());
        assertEquals("gamma", cluster.job(job).path("pipeline_id").asText());
        assertEquals(1, cluster.job(job).path("pipeline_version").asInt());
        String fresh = cluster.submit("gamma", "{\"inputs\": {\"raw\": \"y\"}}");
        assertEquals(2, cluster.awaitJob(fresh, WAIT).path("pipeline_version").asInt());
    }

    @Test
    void aDeleteIsRefusedWhileAJobHasNotEndedAndNeverRacesASubmit() throws Exception {
        assertEquals(201, post(alice, pipeline("busy", "raw", "step", "done")).status());
        String ready = cluster.submit("busy", "{\"inputs\": {\"raw\": \"x\"}, \"start\": false}");
        Cluster.Response refused = cluster.as(alice, "DELETE", "/api/v1/pipelines/busy", null);
        assertEquals(409, refused.status(), refused::toString);
        assertTrue(refused.json().path("error").path("message").asText().contains(ready), refused::toString);
        assertEquals(202, cluster.post("/api/v1/jobs/" + ready + "/cancel", "", "application/json").status());
        Cluster.await("the built job to be cancelled", WAIT, () -> "CANCELLED".equals(cluster.job(ready).path("status").asText()));
        assertEquals(200, cluster.as(alice, "DELETE", "/api/v1/pipelines/busy", null).status());

        // a submit of a job that stays READY and a delete, at once: never both
        for (int i = 0; i < 12; i++) {
            String id = "race-" + i;
            assertEquals(201, post(alice, pipeline(id, "raw", "step", "done")).status());
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Cluster.Response> submit = CompletableFuture.supplyAsync(() -> {
                await(go);
                return cluster.as(alice, "POST", "/api/v1/pipelines/" + id + "/jobs", "{\"inputs\": {\"raw\": \"x\"}, \"start\": false}");
            });
            CompletableFuture<Cluster.Response> delete = CompletableFuture.supplyAsync(() -> {
                await(go);
                return cluster.as(alice, "DELETE", "/api/v1/pipelines/" + id, null);
            });
            go.countDown();
            Cluster.Response s = submit.get();
            Cluster.Response d = delete.get();
            assertFalse(s.status() == 202 && d.status() == 200, "both the submit and the delete of " + id + " succeeded: " + s + " / " + d);
            assertTrue(s.status() == 202 || s.status() == 404 || s.status() == 409, s::toString);
            assertTrue(d.status() == 200 || d.status() == 409, d::toString);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theCommandLineCreatesListsShowsAndDeletes() throws Exception {
        Path file = Files.writeString(dir.resolve("pipeline.yaml"), pipeline("ignored-name", "a", "copy", "b"));
        Cli.Result created = cli.ok("pipelines", "create", file.toString(), "--name", "cli-made");
        assertEquals("cli-made v1", created.out().strip());
        assertEquals(1, cli.ok("pipelines", "create", file.toString(), "--name", "cli-made", "--json").json().path("version").asInt(),
                "the same text again adds no version");
        Files.writeString(file, "# changed\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(2, cli.ok("pipelines", "create", file.toString(), "--name", "cli-made", "--json").json().path("version").asInt());
        assertEquals(0, cluster.get("/api/v1/jobs?pipeline=cli-made").json().path("jobs").size(), "create runs no job");
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "dataNodes: {a: {}}\nprocessNodes: {p: {input: [zz], output: [a], processor: identity}}\n");
        Cli.Result invalid = cli.run("pipelines", "create", bad.toString(), "--name", "cli-bad");
        assertEquals(1, invalid.exit(), invalid::toString);
        assertTrue(invalid.err().contains("processNodes.p.input[0]") && invalid.err().contains("zz"), invalid::toString);
        assertEquals(404, cluster.get("/api/v1/pipelines/cli-bad").status());

        JsonNode list = cli.ok("pipelines", "list", "--json").json();
        assertTrue(ids(list.path("pipelines")).contains("cli-made"), list::toString);
        String table = cli.ok("pipelines", "list").out();
        assertTrue(table.contains("cli-made") && table.contains("v2"), table);
        assertEquals(1, cli.ok("pipelines", "get", "cli-made", "--version", "1", "--json").json().path("version").asInt());
        assertTrue(cli.ok("pipelines", "get", "cli-made", "--source").out().contains("copy:"));
        String shown = cli.ok("pipelines", "get", "cli-made").out();
        assertTrue(shown.contains("cli-made v2 (latest v2)") && shown.contains("owner:") && shown.contains("copy"), shown);
        JsonNode versions = cli.ok("pipelines", "versions", "cli-made", "--json").json();
        assertEquals(2, versions.path("versions").size());
        assertTrue(cli.ok("pipelines", "versions", "cli-made").out().contains("v1"));
        assertTrue(cli.ok("pipelines", "delete", "cli-made").out().contains("pipeline cli-made deleted (2 version(s))"));
        Cli.Result gone = cli.run("pipelines", "get", "cli-made");
        assertEquals(1, gone.exit(), gone::toString);
        assertTrue(gone.err().contains("no pipeline 'cli-made'"), gone::toString);
    }
}
