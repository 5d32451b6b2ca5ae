package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cli;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.protocol.keys.JobId;
import io.lettuce.core.ScoredValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user met, each as the request that showed it: a file run again piled up versions; a
 * listing cursor named another owner's job; a pool no pipeline names stayed listed; a cycle hid
 * behind other problems; a plan pruned everything without saying why; a body refused the priority
 * in a case the filter took.
 */
class LooseEndsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    @TempDir
    static Path dir;
    static Cluster cluster;
    static Cli cli;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(2).start();
        cli = new Cli(cluster);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String pipeline(String name, String pool) {
        return "name: " + name + "\ndataNodes:\n  in:\n  out:\nprocessNodes:\n  copy:\n    input: [in]\n    output: [out]\n"
                + "    processor: identity\n" + (pool == null ? "" : "    pool: " + pool + "\n");
    }

    @Test
    void runningOneFileAgainAddsNoVersion() throws Exception {
        Path file = Files.writeString(dir.resolve("again.yaml"), pipeline("again", null));
        for (int i = 0; i < 3; i++) {
            cli.ok("run", file.toString(), "--input", "in=x");
        }
        JsonNode versions = cluster.get("/api/v1/pipelines/again/versions").json();
        assertEquals(1, versions.path("versions").size(), versions::toPrettyString);
        Cluster.Response same = cluster.post("/api/v1/pipelines", pipeline("again", null), "application/yaml");
        assertEquals(200, same.status(), same::toString);
        assertEquals(1, same.json().path("version").asInt());
        assertEquals(201, cluster.post("/api/v1/pipelines", pipeline("again", null) + "# changed\n", "application/yaml").status());
    }

    @Test
    void runTakesSeed003sInputsForm() throws Exception {
        // seed 003: pipeline_cli.py --file pipeline.yaml --inputs document_id=D0 page_num=0
        Path file = Files.writeString(dir.resolve("seed003.yaml"), """
                name: seed003
                dataNodes:
                  document_id:
                  page_num:
                  page:
                processNodes:
                  fetch:
                    input: [document_id, page_num]
                    output: [page]
                    processor: concat
                    config: {separator: "/"}
                """);
        Cli.Result ran = cli.ok("run", "--file", file.toString(), "--inputs", "document_id=D0", "page_num=0", "--json");
        assertEquals("D0/0", ran.json().path("outputs").path("page").asText(), ran::toString);
        Cli.Result positional = cli.ok("run", file.toString(), "--inputs", "document_id=D1", "page_num=7", "--json");
        assertEquals("D1/7", positional.json().path("outputs").path("page").asText(), positional::toString);
    }

    @Test
    void aListingCursorNeverNamesAJobTheCallerMayNotSee() throws Exception {
        String alice = cluster.createToken("alice", "submit", null);
        String bob = cluster.createToken("bob", "submit", null);
        cluster.postPipeline(pipeline("shared", null));
        Cluster.Response a = cluster.as(alice, "POST", "/api/v1/pipelines/shared/jobs", "{\"inputs\": {\"in\": \"a\"}}");
        assertEquals(202, a.status(), a::toString);
        String alicesJob = a.json().path("id").asText();
        Cluster.Response b = cluster.as(bob, "POST", "/api/v1/pipelines/shared/jobs", "{\"inputs\": {\"in\": \"b\"}}");
        assertEquals(202, b.status(), b::toString);
        String bobsJob = b.json().path("id").asText();
        // bob's job becomes the 5,000th entry alice's listing examines (its budget), behind entries of
        // jobs that are gone: the page ends on an entry she may not see
        int shard = cluster.shardOf(bobsJob);
        String index = cluster.keys().jobIndex(shard);
        double bobs = cluster.redis().zscore(index, bobsJob);
        List<ScoredValue<String>> filler = new ArrayList<>();
        for (int i = 1; i < 5000; i++) {
            filler.add(ScoredValue.just(bobs + i, JobId.random().value()));
        }
        @SuppressWarnings("unchecked")
        ScoredValue<String>[] values = filler.toArray(new ScoredValue[0]);
        cluster.redis().zadd(index, values);
        try {
            JsonNode page = cluster.as(alice, "GET", "/api/v1/jobs?page_size=5", null).json();
            assertEquals(0, page.path("jobs").size(), page::toPrettyString);
            String cursor = page.path("next_page_after").asText();
            assertFalse(cursor.isEmpty(), page::toPrettyString);
            String decoded = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            assertFalse(cursor.contains(bobsJob) || decoded.contains(bobsJob), "the cursor names bob's job: " + cursor);
            JsonNode next = cluster.as(alice, "GET", "/api/v1/jobs?page_size=5&page_after=" + cursor, null).json();
            assertEquals(List.of(alicesJob), next.path("jobs").findValuesAsText("id"), next::toPrettyString);
        } finally {
            cluster.redis().zrem(index, filler.stream().map(ScoredValue::getValue).toArray(String[]::new));
        }
    }

    private static List<String> pools() {
        List<String> out = new ArrayList<>();
        cluster.get("/api/v1/admin/pools").json().path("pools").forEach(p -> out.add(p.path("pool").asText()));
        return out;
    }

    @Test
    void aPoolNoPipelineNamesAnyMoreLeavesThePoolListing() {
        cluster.postPipeline(pipeline("pooled", "gpu-east"));
        cluster.postPipeline(pipeline("pooled-too", "gpu-west"));
        assertTrue(pools().containsAll(List.of("gpu-east", "gpu-west")), pools()::toString);
        cluster.postPipeline(pipeline("pooled", null)); // its new version runs in the default pool
        assertEquals(200, cluster.as(cluster.adminToken(), "DELETE", "/api/v1/pipelines/pooled-too", null).status());
        List<String> now = pools();
        assertFalse(now.contains("gpu-east") || now.contains("gpu-west"), now::toString);
        assertTrue(now.contains("default"), now::toString);
    }

    @Test
    void aCycleIsReportedBesideOtherProblems() {
        String doc = """
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1: {input: [a, ghost], output: [b], processor: identity}
                  t2: {input: [b], output: [a], processor: identity}
                """;
        JsonNode v = cluster.post("/api/v1/pipelines/validate", doc, "application/yaml").json();
        List<String> messages = v.path("problems").findValuesAsText("message");
        assertTrue(messages.contains("unknown data node 'ghost'"), messages::toString);
        assertTrue(messages.contains("cycle: t1 -> t2 -> t1"), messages::toString);
    }

    @Test
    void aPlanSaysWhyAWantedJobInputPrunesEverything() {
        cluster.postPipeline(pipeline("planned", null));
        JsonNode plan = cluster.get("/api/v1/pipelines/planned/plan?outputs=in").json();
        assertEquals(0, plan.path("run").size(), plan::toPrettyString);
        String notes = plan.path("notes").toString();
        assertTrue(notes.contains("'in' is a job input") && notes.contains("nothing runs"), plan::toPrettyString);
        assertTrue(cli.ok("plan", "--pipeline", "planned", "--outputs", "in").out().contains("note: output 'in' is a job input"));
    }

    @Test
    void aBodyTakesThePriorityInAnyCaseAsTheFilterDoes() {
        cluster.postPipeline(pipeline("urgent", null));
        String job = cluster.submit("urgent", "{\"inputs\": {\"in\": \"x\"}, \"priority\": \"HIGH\"}");
        assertEquals("high", cluster.awaitJob(job, WAIT).path("priority").asText());
        assertEquals(1, cluster.get("/api/v1/jobs?pipeline=urgent&priority=High").json().path("jobs").size());
        Cluster.Response run = cluster.post("/api/v1/runs", "{\"pipeline_id\": \"urgent\", \"priority\": \"Low\"}", "application/json");
        assertEquals(201, run.status(), run::toString);
        assertEquals("low", run.json().path("priority").asText());
    }
}
