package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.infra.objectstore.ObjectStoreConfig;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.OwnS3;
import dev.pipewright.it.support.TcpProxy;
import dev.pipewright.it.support.WorkerProcess;
import dev.pipewright.protocol.data.S3Uri;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data store in a real S3-compatible server (s3rver, started here): relative sources in the
 * owners' areas under {@code PW_DATA_STORE}'s prefix, full {@code s3://} sources only in the allowed
 * prefixes and the owner's area there, consumables over {@code PW_INLINE_MAX} kept as objects with a
 * reference in Redis (a 1 GiB one with the worker's memory flat), their removal when the job expires,
 * and the clear errors of a missing object and an unreachable store. The overseer reaches the store
 * through a proxy (so the store can be cut); the worker is its own process (so its RSS is its own).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObjectStoreIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long GIB = 1024L * 1024 * 1024;
    static OwnS3 s3;
    static TcpProxy proxy;
    static Cluster cluster;
    static WorkerProcess worker;
    static ObjectStore store;
    static String alice;
    static String bob;

    @BeforeAll
    static void start() throws Exception {
        s3 = OwnS3.start("pwdata", "lake");
        proxy = new TcpProxy("127.0.0.1", s3.port());
        Map<String, String> objects = new LinkedHashMap<>(s3.env());
        objects.put("PW_DATA_STORE", "s3://pwdata/store");
        objects.put("PW_S3_SOURCES", "s3://lake/");
        objects.put("PW_INLINE_MAX", "65536");
        Cluster.Builder builder = Cluster.builder().workers(0).shards(1)
                .overseerSetting("PW_JOB_RETENTION", "10s").overseerSetting("PW_RETENTION_INTERVAL", "300ms");
        objects.forEach(builder::overseerSetting);
        builder.overseerSetting("AWS_ENDPOINT_URL", "http://127.0.0.1:" + proxy.port());
        cluster = builder.start();
        alice = cluster.createToken("alice", "submit", "alice");
        bob = cluster.createToken("bob", "submit", "bob");

        Path dir = Files.createTempDirectory("pw-objects-it-");
        Path registry = dir.resolve("processors.yaml");
        Files.writeString(registry, """
                processors:
                  zeros:
                    command: [sh, -c, 'head -c "$PW_PARAM_BYTES" /dev/zero > "$PW_OUTPUT_DIR/big"']
                  checksum:
                    command: [sh, -c, 'sha256sum < "$PW_INPUT_DIR/$PW_INPUTS" > "$PW_OUTPUT_DIR/s" && cut -c1-64 "$PW_OUTPUT_DIR/s" > "$PW_OUTPUT_DIR/sum"']
                  forge:
                    command: [sh, -c, 'printf "\\000pw-object-ref:1\\n{}" > "$PW_OUTPUT_DIR/big"']
                """);
        Map<String, String> env = cluster.workerEnv("objects-worker", Cluster.freePort());
        env.putAll(objects);
        env.put("PW_PROCESSORS", registry.toString());
        env.put("PW_CONCURRENCY", "2");
        worker = WorkerProcess.start(env, dir.resolve("worker.log"));
        cluster.awaitWorkersListed(Set.of("objects-worker"));
        store = new ObjectStore(ObjectStoreConfig.from(new Settings(objects)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) {
            worker.terminate(Duration.ofSeconds(20));
        }
        if (cluster != null) {
            cluster.close();
        }
        if (store != null) {
            store.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }


    private static String pipelineAs(String token, String yaml) {
        Cluster.Response r = cluster.as(token, "POST", "/api/v1/pipelines", yaml, "application/yaml");
        assertEquals(201, r.status(), r::toString);
        return r.json().path("id").asText();
    }

    private static Cluster.Response submitAs(String token, String pipeline, String json) {
        return cluster.as(token, "POST", "/api/v1/pipelines/" + pipeline + "/jobs", json, "application/json");
    }

    private static String submitted(Cluster.Response r) {
        assertEquals(202, r.status(), r::toString);
        return r.json().path("id").asText();
    }

    /** Each problem of a 400 as "path: message". */
    private static List<String> problems(Cluster.Response r) {
        assertEquals(400, r.status(), r::toString);
        assertFalse(r.text().contains("Exception"), r::toString);
        List<String> out = new ArrayList<>();
        r.json().path("error").path("problems").forEach(p -> out.add(p.path("path").asText() + ": " + p.path("message").asText()));
        return out;
    }

    private static String text(String bucket, String key) throws Exception {
        byte[] b = store.read(new S3Uri(bucket, key));
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static void put(String bucket, String key, String text) throws Exception {
        store.write(new S3Uri(bucket, key), text.getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    @Test
    @Order(1)
    void relativeSourcesLiveInTheOwnersAreasUnderTheDataStorePrefix() throws Exception {
        put("pwdata", "store/owners/alice/in/mon.txt", "alice's monday");
        String p = pipelineAs(alice, """
                name: s3-relative
                parameters: {day: {type: string}}
                dataNodes:
                  in: {source: "in/${day}.txt"}
                  out: {source: "out/${day}.txt"}
                processNodes:
                  copy: {input: [in], output: [out], processor: identity}
                """);
        String job = submitted(submitAs(alice, p, "{\"parameters\": {\"day\": \"mon\"}}"));
        assertEquals("SUCCESS", cluster.awaitJob(job, WAIT).path("status").asText(), () -> cluster.job(job).toPrettyString());
        assertEquals("alice's monday", text("pwdata", "store/owners/alice/out/mon.txt"));

        // an input over PW_INLINE_MAX is pinned (a server-side copy in the job's prefix) and referenced, not loaded
        String large = "line of alice's large input\n".repeat(4000);
        put("pwdata", "store/owners/alice/in/big.txt", large);
        String bigJob = submitted(submitAs(alice, p, "{\"parameters\": {\"day\": \"big\"}}"));
        assertEquals("SUCCESS", cluster.awaitJob(bigJob, WAIT).path("status").asText());
        String pinned = cluster.redis().hget(cluster.jobKey(bigJob) + ":data", "in");
        assertTrue(pinned.startsWith("\0pw-object-ref:1\n") && pinned.contains("\"key\":\"store/jobs/" + bigJob + "/inputs/in\""), pinned);
        assertEquals(large, text("pwdata", "store/owners/alice/out/big.txt"));

        // bob's relative source is his own area: alice's object is not his to read
        List<String> refused = problems(submitAs(bob, pipelineAs(bob, """
                name: s3-relative-bob
                parameters: {day: {type: string}}
                dataNodes:
                  in: {source: "in/${day}.txt"}
                  out: {}
                processNodes:
                  copy: {input: [in], output: [out], processor: identity}
                """), "{\"parameters\": {\"day\": \"mon\"}}"));
        assertEquals(List.of("dataNodes.in.source: 'owners/bob/in/mon.txt' does not exist in the data store"), refused);
    }

    @Test
    @Order(2)
    void fullSourcesOnlyInAllowedPrefixesAndTheOwnersAreaThere() throws Exception {
        put("lake", "owners/alice/raw.csv", "a,b\n1,2\n");
        put("lake", "owners/alice/result.csv", "alice's result");
        String p = pipelineAs(alice, """
                name: s3-full
                parameters: {who: {type: string, default: alice}}
                dataNodes:
                  raw: {source: "s3://lake/owners/${who}/raw.csv"}
                  copy: {source: "s3://lake/owners/${who}/copy.csv"}
                processNodes:
                  c: {input: [raw], output: [copy], processor: identity}
                """);
        String job = submitted(submitAs(alice, p, "{}"));
        assertEquals("SUCCESS", cluster.awaitJob(job, WAIT).path("status").asText());
        assertEquals("a,b\n1,2\n", text("lake", "owners/alice/copy.csv"));

        // a prefix no admin allowed: refused when the pipeline is created, as text
        Cluster.Response outside = cluster.as(alice, "POST", "/api/v1/pipelines", """
                name: s3-outside
                dataNodes:
                  raw: {source: "s3://pwdata/store/owners/bob/x.csv"}
                  out: {}
                processNodes:
                  c: {input: [raw], output: [out], processor: identity}
                """, "application/yaml");
        List<String> atCreate = problems(outside);
        assertEquals(1, atCreate.size(), atCreate::toString);
        assertTrue(atCreate.get(0).startsWith("dataNodes.raw.source: 's3://pwdata/store/owners/bob/x.csv' is not in a bucket and prefix "
                + "allowed for sources"), atCreate::toString);

        // bob through the same pipeline text, aimed at alice's area: refused at submit, her objects untouched
        String bobs = pipelineAs(bob, """
                name: s3-full-bob
                parameters: {who: {type: string}}
                dataNodes:
                  raw: {source: "s3://lake/owners/${who}/raw.csv"}
                  result: {source: "s3://lake/owners/${who}/result.csv"}
                processNodes:
                  c: {input: [raw], output: [result], processor: identity}
                """);
        List<String> atSubmit = problems(submitAs(bob, bobs, "{\"parameters\": {\"who\": \"alice\"}}"));
        assertEquals(List.of(
                "dataNodes.raw.source: 's3://lake/owners/alice/raw.csv' is outside your areas of s3://lake/: name an object under "
                        + "s3://lake/owners/bob/ (yours) or s3://lake/shared/ (shared) (from 's3://lake/owners/${who}/raw.csv' with the job's parameters)",
                "dataNodes.result.source: 's3://lake/owners/alice/result.csv' is outside your areas of s3://lake/: name an object under "
                        + "s3://lake/owners/bob/ (yours) or s3://lake/shared/ (shared) (from 's3://lake/owners/${who}/result.csv' with the job's parameters)"),
                atSubmit);
        assertEquals("alice's result", text("lake", "owners/alice/result.csv"));
    }

    @Test
    @Order(3)
    void largeValuesTravelAsObjectsAndTheApiStreamsThem() throws Exception {
        long bytes = 3L * 1024 * 1024 + 17; // over PW_INLINE_MAX, and over no multipart boundary: a single PUT
        String p = pipelineAs(alice, """
                name: s3-large
                parameters: {bytes: {type: integer}}
                dataNodes:
                  big: {}
                  again: {source: "large/again.bin"}
                  sum: {}
                processNodes:
                  make: {input: [], output: [big], processor: zeros}
                  java: {input: [big], output: [again], processor: identity}
                  check: {input: [again], output: [sum], processor: checksum}
                """);
        String job = submitted(submitAs(alice, p, "{\"parameters\": {\"bytes\": " + bytes + "}}"));
        JsonNode view = cluster.awaitJob(job, WAIT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        String expected = sha256OfZeros(bytes);
        assertEquals(expected, new String(cluster.as(alice, "GET", "/api/v1/jobs/" + job + "/consumables/sum", null, null).body(),
                StandardCharsets.UTF_8).strip());
        // Redis keeps a reference (its own bytes are small), and the objects are under the job's prefix
        String ref = cluster.redis().hget(cluster.jobKey(job) + ":data", "big");
        assertTrue(ref != null && ref.length() < 1024
                        && ref.startsWith("\0pw-object-ref:1\n{\"bucket\":\"pwdata\",\"key\":\"store/jobs/" + job + "/make/1/big\""),
                "a reference in Redis, not the value: " + ref);
        assertTrue(store.list(new S3Uri("pwdata", "store/jobs/" + job + "/")).size() >= 2);
        // the API streams the value; the listing gives its real size
        Cluster.Response big = cluster.as(alice, "GET", "/api/v1/jobs/" + job + "/consumables/big", null, null);
        assertEquals(200, big.status());
        assertEquals(bytes, big.body().length);
        assertEquals(expected, big.headers().firstValue("X-Pipewright-Sha256").orElse(""));
        JsonNode listed = cluster.as(alice, "GET", "/api/v1/jobs/" + job + "/consumables", null, null).json();
        boolean seen = false;
        for (JsonNode c : listed.path("consumables")) {
            if ("big".equals(c.path("node").asText())) {
                assertEquals(bytes, c.path("size").asLong(), c::toString);
                assertTrue(c.path("value").isMissingNode() && c.path("value_base64").isMissingNode(), c::toString);
                seen = true;
            }
        }
        assertTrue(seen, listed::toPrettyString);
        // the sink: a server-side copy into alice's area
        assertEquals(bytes, store.size(new S3Uri("pwdata", "store/owners/alice/large/again.bin")));

        // a re-run reuses the values: its own copies of the objects, so the old job's expiry takes nothing it reads
        Cluster.Response retried = cluster.as(alice, "POST", "/api/v1/jobs/" + job + "/retry", null, null);
        assertEquals(202, retried.status(), retried::toString);
        String rerun = retried.json().path("id").asText();
        assertEquals("SUCCESS", cluster.awaitJob(rerun, WAIT).path("status").asText());
        String rerunRef = cluster.redis().hget(cluster.jobKey(rerun) + ":data", "big");
        assertTrue(rerunRef.contains("\"key\":\"store/jobs/" + rerun + "/reused/big\""), rerunRef);
        Cluster.Response again = cluster.as(alice, "GET", "/api/v1/jobs/" + rerun + "/consumables/big", null, null);
        assertEquals(bytes, again.body().length);
        assertEquals(expected, again.headers().firstValue("X-Pipewright-Sha256").orElse(""));
    }

    @Test
    @Order(4)
    void aCommandCannotForgeAReference() throws Exception {
        String p = pipelineAs(alice, """
                name: s3-forge
                dataNodes: {big: {}}
                processNodes:
                  f: {input: [], output: [big], processor: forge}
                """);
        String job = submitted(submitAs(alice, p, "{}"));
        JsonNode view = cluster.awaitJob(job, WAIT);
        assertEquals("FAILED", view.path("status").asText());
        assertTrue(view.toString().contains("starts with the bytes Pipewright reserves for object references"), view::toPrettyString);
    }

    @Test
    @Order(5)
    void oneGibibyteThroughTheObjectStoreWithTheWorkersMemoryFlatAndGoneWhenTheJobExpires() throws Exception {
        String p = pipelineAs(alice, """
                name: s3-gib
                parameters: {bytes: {type: integer}}
                dataNodes: {big: {}, sum: {}}
                processNodes:
                  make: {input: [], output: [big], processor: zeros}
                  check: {input: [big], output: [sum], processor: checksum}
                """);
        // warm-up through the same path (classes loaded, the HTTP client's pools made), then the baseline
        String warm = submitted(submitAs(alice, p, "{\"parameters\": {\"bytes\": 40000000}}"));
        assertEquals("SUCCESS", cluster.awaitJob(warm, WAIT).path("status").asText());
        long baseline = rssKib(worker.pid());
        long[] peak = {baseline};
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    peak[0] = Math.max(peak[0], rssKib(worker.pid()));
                    Thread.sleep(50);
                } catch (Exception e) {
                    return;
                }
            }
        });
        long started = System.nanoTime();
        String job = submitted(submitAs(alice, p, "{\"parameters\": {\"bytes\": " + GIB + "}}"));
        JsonNode view = cluster.awaitJob(job, Duration.ofMinutes(5));
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        sampler.interrupt();
        sampler.join();
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        S3Uri prefix = new S3Uri("pwdata", "store/jobs/" + job + "/");
        // before it expires (PW_JOB_RETENTION 10s)
        assertEquals(1, store.list(prefix).size(), "the 1 GiB object (the 64-byte sum stays inline)");
        assertEquals(sha256OfZeros(GIB), cluster.consumableText(job, "sum").strip());
        long growthMib = (peak[0] - baseline) / 1024;
        System.out.printf("ObjectStoreIT: 1 GiB consumable in %d s; worker RSS baseline %d MiB, peak %d MiB, growth %d MiB; load %s%n",
                seconds, baseline / 1024, peak[0] / 1024, growthMib, Files.readString(Path.of("/proc/loadavg")).strip());
        assertTrue(growthMib < 64, "the worker's RSS grew by " + growthMib + " MiB (baseline " + baseline / 1024 + " MiB)");

        // the job expires: its objects go with it
        Cluster.await("job " + job + " and its objects to be removed", Duration.ofSeconds(60), () -> {
            try {
                // the job hash (not GET /jobs/{id}: a read in the middle of a purge is not what this test is about)
                return cluster.redis().exists(cluster.jobKey(job)) == 0 && store.list(prefix).isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals(404, cluster.get("/api/v1/jobs/" + job).status());
    }

    @Test
    @Order(6)
    void aMissingObjectAndAnUnreachableStoreAreClearErrorsAtSubmitAndLoseNothing() throws Exception {
        put("pwdata", "store/owners/alice/kept/in.txt", "kept");
        String p = pipelineAs(alice, """
                name: s3-errors
                parameters: {name: {type: string}}
                dataNodes:
                  in: {source: "kept/${name}"}
                  out: {source: "kept/out.txt"}
                processNodes:
                  c: {input: [in], output: [out], processor: identity}
                """);
        assertEquals(List.of("dataNodes.in.source: 'owners/alice/kept/none.txt' does not exist in the data store"),
                problems(submitAs(alice, p, "{\"parameters\": {\"name\": \"none.txt\"}}")));

        // the store cut off: new connections refused, open ones reset
        proxy.refuse(true);
        proxy.reset();
        try {
            List<String> refused = problems(submitAs(alice, p, "{\"parameters\": {\"name\": \"in.txt\"}}"));
            assertEquals(2, refused.size(), refused::toString);
            assertTrue(refused.get(0).startsWith("dataNodes.in.source: cannot read 'owners/alice/kept/in.txt': the object store at http://127.0.0.1:"
                    + proxy.port() + " cannot be reached"), refused::toString);
            assertTrue(refused.get(1).startsWith("dataNodes.out.source: the object store at http://127.0.0.1:" + proxy.port()
                    + " cannot be reached"), refused::toString);
        } finally {
            proxy.refuse(false);
        }
        assertEquals("kept", text("pwdata", "store/owners/alice/kept/in.txt"));
        assertNull(text("pwdata", "store/owners/alice/kept/out.txt"));
        String job = submitted(submitAs(alice, p, "{\"parameters\": {\"name\": \"in.txt\"}}"));
        assertEquals("SUCCESS", cluster.awaitJob(job, WAIT).path("status").asText());
        assertEquals("kept", text("pwdata", "store/owners/alice/kept/out.txt"));
    }

    private static long rssKib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    private static String sha256OfZeros(long n) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        byte[] zeros = new byte[1 << 20];
        for (long left = n; left > 0; left -= zeros.length) {
            d.update(zeros, 0, (int) Math.min(zeros.length, left));
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
