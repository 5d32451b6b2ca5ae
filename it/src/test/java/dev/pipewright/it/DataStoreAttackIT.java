package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data store under attack, each test written as the attack: an output whose source is a
 * directory must not stall its shard for other users' jobs; symbolic links must not lead reads or
 * writes out of the store; one owner must not overwrite another's data; a NUL byte in a source or a
 * parameter must be a 400 with the error JSON. One shard, so every job shares the event stream.
 */
class DataStoreAttackIT {
    private static final Duration WAIT = Duration.ofSeconds(40);
    static Cluster cluster;
    static String alice;
    static String bob;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(2).concurrency(4).shards(1).start();
        alice = cluster.createToken("alice", "submit", "alice");
        bob = cluster.createToken("bob", "submit", "bob");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }


    private static String pipelineAs(String token, String yaml) {
        Cluster.Response r = cluster.as(token, "POST", "/api/v1/pipelines", yaml, "application/yaml");
        assertEquals(201, r.status(), r::toString);
        return r.json().path("id").asText();
    }

    private static String submitAs(String token, String pipeline, String json) {
        Cluster.Response r = cluster.as(token, "POST", "/api/v1/pipelines/" + pipeline + "/jobs", json, "application/json");
        assertEquals(202, r.status(), r::toString);
        return r.json().path("id").asText();
    }

    /** The refusal's problems' paths, after checking it is a 400 with the error JSON and no stack trace. */
    private static List<String> refusedAt(Cluster.Response r) {
        assertEquals(400, r.status(), r::toString);
        String text = r.text();
        assertFalse(text.contains("Exception") || text.contains("\tat ") || text.contains("at dev.pipewright"), text);
        JsonNode error = r.json().path("error");
        assertFalse(error.path("code").asText().isBlank(), text);
        List<String> paths = new ArrayList<>();
        error.path("problems").forEach(p -> paths.add(p.path("path").asText()));
        return paths;
    }

    private static JsonNode awaitTask(String job, String node, String state) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode view;
        do {
            view = cluster.job(job);
            JsonNode t = Cluster.task(view, node);
            if (t != null && state.equals(t.path("status").asText())) {
                return view;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("task " + node + " of " + job + " never became " + state + ": " + view.toPrettyString());
    }

    @Test
    void aDirectoryWhereAnOutputGoesFailsItsJobAndOtherUsersJobsOnTheShardStillFinish() throws Exception {
        String sink = cluster.postPipeline("""
                name: dir-sink
                dataNodes:
                  in:
                  out: {source: victim/out.txt}
                processNodes:
                  produce: {input: [in], output: [out], processor: sleep, config: {ms: 1500}}
                """).path("id").asText();
        String job = cluster.submit(sink, "{\"inputs\": {\"in\": \"x\"}}");
        // the attack: while the task runs, a directory (not empty) takes the output's place
        Path victim = Files.createDirectories(cluster.dataArea().resolve("victim/out.txt"));
        Files.writeString(victim.resolve("keep"), "keep");
        awaitTask(job, "produce", "SUCCESS"); // its commit: the copy to the data store is next

        // another user's jobs on the same (only) shard, submitted after the refused copy
        String other = pipelineAs(alice, """
                name: innocent
                dataNodes: {a: {}, b: {}}
                processNodes:
                  copy: {input: [a], output: [b], processor: identity}
                """);
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            others.add(submitAs(alice, other, "{\"inputs\": {\"a\": \"v" + i + "\"}}"));
        }
        for (String id : others) {
            assertEquals("SUCCESS", cluster.awaitJob(id, WAIT).path("status").asText(), id);
        }

        JsonNode failed = cluster.awaitJob(job, WAIT);
        assertEquals("FAILED", failed.path("status").asText(), failed::toPrettyString);
        assertTrue(failed.path("reason").asText().contains("directory"), failed::toPrettyString);
        assertTrue(Cluster.task(failed, "produce").path("error").asText().contains("directory"), failed::toPrettyString);
        assertEquals("keep", Files.readString(victim.resolve("keep")), "the directory is left alone");
        try (Stream<Path> files = Files.list(victim.getParent())) {
            assertEquals(List.of("out.txt"), files.map(p -> p.getFileName().toString()).toList(), "no temporary file left behind");
        }

        // operators see what was set aside, and why
        JsonNode records = cluster.get("/api/v1/admin/set-aside?shard=0").json().path("set_aside");
        JsonNode record = null;
        for (JsonNode r : records) {
            if (job.equals(r.path("job").asText())) {
                record = r;
            }
        }
        assertTrue(record != null, records::toPrettyString);
        assertEquals("store", record.path("kind").asText());
        assertEquals("produce", record.path("node").asText());
        assertTrue(record.path("reason").asText().contains("directory"), record::toString);

        // and now that the directory is there, the same job is refused at submit, naming the field
        Cluster.Response again = cluster.submitRaw(sink, "{\"inputs\": {\"in\": \"x\"}}");
        assertEquals(List.of("dataNodes.out.source"), refusedAt(again));
        assertTrue(again.text().contains("directory"), again::toString);
    }

    @Test
    void symbolicLinksDoNotLeadReadsOrWritesOutOfTheStore() throws Exception {
        Path outside = Files.createTempDirectory("pw-it-outside-");
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.createDirectories(cluster.dataArea());
        Files.createSymbolicLink(cluster.dataArea().resolve("leak"), outside);

        String read = cluster.postPipeline("""
                name: link-read
                dataNodes:
                  raw: {source: leak/secret.txt}
                  out:
                processNodes:
                  copy: {input: [raw], output: [out], processor: identity}
                """).path("id").asText();
        Cluster.Response r = cluster.submitRaw(read, "{}");
        assertEquals(List.of("dataNodes.raw.source"), refusedAt(r));
        assertTrue(r.text().contains("symbolic link"), r::toString);

        String write = cluster.postPipeline("""
                name: link-write
                parameters: {dir: string}
                dataNodes:
                  in:
                  out: {source: "${dir}/written.txt"}
                processNodes:
                  produce: {input: [in], output: [out], processor: sleep, config: {ms: 1500}}
                """).path("id").asText();
        assertEquals(List.of("dataNodes.out.source"), refusedAt(cluster.submitRaw(write, "{\"parameters\": {\"dir\": \"leak\"}, \"inputs\": {\"in\": \"x\"}}")));

        // checked again when it is written: a link put in place after the submit is not followed
        String job = cluster.submit(write, "{\"parameters\": {\"dir\": \"later\"}, \"inputs\": {\"in\": \"x\"}}");
        Files.createSymbolicLink(cluster.dataArea().resolve("later"), outside);
        JsonNode view = cluster.awaitJob(job, WAIT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        assertTrue(view.path("reason").asText().contains("symbolic link"), view::toPrettyString);
        assertFalse(Files.exists(outside.resolve("written.txt")), "nothing written outside the store");
        assertEquals("secret", Files.readString(outside.resolve("secret.txt")));
    }

    @Test
    void oneOwnerCannotReadOrOverwriteAnothersData() throws Exception {
        String mine = pipelineAs(alice, """
                name: mine
                dataNodes: {in: {}, report: {source: report.txt}}
                processNodes:
                  write: {input: [in], output: [report], processor: identity}
                """);
        assertEquals("SUCCESS", cluster.awaitJob(submitAs(alice, mine, "{\"inputs\": {\"in\": \"alice's\"}}"), WAIT).path("status").asText());
        Path alicesReport = cluster.dataArea("alice").resolve("report.txt");
        assertEquals("alice's", Files.readString(alicesReport));

        // bob names alice's file: through '..' (refused), by its place under the root (stays in his own area)
        String theirs = pipelineAs(bob, """
                name: theirs
                parameters: {p: string}
                dataNodes: {in: {}, report: {source: "${p}"}}
                processNodes:
                  write: {input: [in], output: [report], processor: identity}
                """);
        assertEquals(List.of("dataNodes.report.source"),
                refusedAt(cluster.as(bob, "POST", "/api/v1/pipelines/" + theirs + "/jobs", "{\"parameters\": {\"p\": \"../alice/report.txt\"}, \"inputs\": {\"in\": \"bob's\"}}", "application/json")));
        assertEquals(List.of("dataNodes.report.source"),
                refusedAt(cluster.as(bob, "POST", "/api/v1/pipelines/" + theirs + "/jobs", "{\"parameters\": {\"p\": \"shared/report.txt\"}, \"inputs\": {\"in\": \"bob's\"}}", "application/json")),
                "only admins write the shared area");
        String job = submitAs(bob, theirs, "{\"parameters\": {\"p\": \"owners/alice/report.txt\"}, \"inputs\": {\"in\": \"bob's\"}}");
        assertEquals("SUCCESS", cluster.awaitJob(job, WAIT).path("status").asText());
        assertEquals("alice's", Files.readString(alicesReport), "alice's data is untouched");
        assertEquals("bob's", Files.readString(cluster.dataArea("bob").resolve("owners/alice/report.txt")), "bob wrote in his own area");

        // nor can bob read it: a source out of his area is refused when the pipeline is made
        Cluster.Response read = cluster.as(bob, "POST", "/api/v1/pipelines", """
                name: peek
                dataNodes: {stolen: {source: ../alice/report.txt}, out: {}}
                processNodes:
                  copy: {input: [stolen], output: [out], processor: identity}
                """, "application/yaml");
        assertEquals(List.of("dataNodes.stolen.source"), refusedAt(read));
    }

    @Test
    void aNulByteInASourceOrAParameterIsA400WithTheErrorJson() {
        Cluster.Response r = cluster.post("/api/v1/pipelines", """
                {"name": "nul-source", "dataNodes": {"a": {}, "b": {"source": "out/a\\u0000b.txt"}},
                 "processNodes": {"copy": {"input": ["a"], "output": ["b"], "processor": "identity"}}}
                """, "application/json");
        assertEquals(List.of("dataNodes.b.source"), refusedAt(r));
        assertTrue(r.text().contains("NUL"), r::toString);

        String p = cluster.postPipeline("""
                name: nul-param
                parameters: {p: string}
                dataNodes: {a: {}, b: {source: "out/${p}.txt"}, c: {source: "in/${p}.txt"}}
                processNodes:
                  copy: {input: [a], output: [b], processor: identity}
                  read: {input: [c], output: [a], processor: identity}
                """).path("id").asText();
        Cluster.Response s = cluster.submitRaw(p, "{\"parameters\": {\"p\": \"a\\u0000b\"}}");
        List<String> paths = refusedAt(s);
        assertTrue(paths.contains("dataNodes.b.source") && paths.contains("dataNodes.c.source"), s::toString);
    }
}
