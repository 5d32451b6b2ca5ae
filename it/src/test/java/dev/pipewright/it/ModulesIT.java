package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.PackageIndex;
import dev.pipewright.it.support.WorkerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Uploaded modules end to end: modules uploaded over HTTP (a Python file, a zip) run on a worker
 * process started with {@code PW_MODULES=on} and no processor registry; a requirement is installed
 * by pip from a package index this test serves (its own wheel, on a free port) into a virtual
 * environment built once for two jobs that need it at the same time; an unsatisfiable requirement
 * fails its task for good with pip's output in the task's log; bad uploads and unknown modules are
 * refused with their location and change nothing stored; cancel and timeout stop a running module.
 */
class ModulesIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    static Cluster cluster;
    static PackageIndex index;
    static WorkerProcess worker;
    static Path cache;

    @BeforeAll
    static void start() throws Exception {
        index = new PackageIndex();
        index.addWheel("pwtiny", "1.0", "pwtiny", "VALUE = 'tiny-1.0'\n");
        cluster = Cluster.builder().workers(0).start();
        cache = Files.createTempDirectory("pw-it-modules-");
        Map<String, String> env = cluster.workerEnv("modw", 0);
        env.put("PW_MODULES", "on");
        env.put("PW_MODULE_CACHE", cache.toString());
        env.put("PW_PIP_INDEX_URL", index.url());
        env.put("PW_CONCURRENCY", "4");
        // hermetic pip: this machine's pip configuration (local wheel directories) is left out
        env.put("PIP_CONFIG_FILE", "/dev/null");
        worker = WorkerProcess.start(env, cache.resolve("worker.log"), List.of("PW_", "PIP_"));
        cluster.awaitWorkersListed(Set.of("modw"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) {
            worker.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (index != null) {
            index.close();
        }
        if (cache != null) {
            try (var walk = Files.walk(cache)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static final String ECHO = """
            import os
            ins = [n for n in os.environ["PW_INPUTS"].split(",") if n]
            text = "".join(open(os.path.join(os.environ["PW_INPUT_DIR"], n)).read() for n in ins)
            print("echo %s running" % PREFIX, flush=True)
            for out in os.environ["PW_OUTPUTS"].split(","):
                with open(os.path.join(os.environ["PW_OUTPUT_DIR"], out), "w") as f:
                    f.write(PREFIX + ":" + text)
            """;

    static Cluster.Response upload(String name, byte[] body, String type, String query) {
        return cluster.post("/api/v1/modules/" + name + (query == null ? "" : "?" + query), body, type);
    }

    static JsonNode uploaded(String name, String python) {
        Cluster.Response r = upload(name, python.getBytes(StandardCharsets.UTF_8), "text/x-python", null);
        assertTrue(r.status() == 201 || r.status() == 200, r.toString());
        return r.json();
    }

    static byte[] zip(Map<String, String> files) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (var e : files.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    static byte[] tarGz(Map<String, String> files) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(new java.util.zip.GZIPOutputStream(bytes))) {
            for (var e : files.entrySet()) {
                byte[] b = e.getValue().getBytes(StandardCharsets.UTF_8);
                var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(e.getKey());
                entry.setSize(b.length);
                tar.putArchiveEntry(entry);
                tar.write(b);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    static String logText(String job) {
        return cluster.logs(job).toString();
    }

    @Test
    void uploadedModulesRunPinnedOrLatestOnAWorkerNoOperatorTouched() throws Exception {
        Cluster.Response first = upload("echo_mod", ("PREFIX = 'v1'\n" + ECHO).getBytes(StandardCharsets.UTF_8), "text/x-python", "description=first");
        assertEquals(201, first.status(), first.toString());
        assertEquals(1, first.json().path("version").asInt());
        assertEquals("python", first.json().path("kind").asText());
        assertEquals("echo_mod.py", first.json().path("entry").asText());
        assertEquals(64, first.json().path("digest").asText().length());
        Cluster.Response again = upload("echo_mod", ("PREFIX = 'v1'\n" + ECHO).getBytes(StandardCharsets.UTF_8), "text/x-python", null);
        assertEquals(200, again.status(), "the same content is the same version: " + again);
        assertEquals(1, again.json().path("version").asInt());
        assertEquals(2, uploaded("echo_mod", "PREFIX = 'v2'\n" + ECHO).path("version").asInt());

        Map<String, String> files = new LinkedHashMap<>();
        files.put("main.py", """
                import os, helper
                text = open(os.path.join(os.environ["PW_INPUT_DIR"], "seed")).read()
                suffix = open("data/suffix.txt").read()   # the working directory is the module's own
                with open(os.path.join(os.environ["PW_OUTPUT_DIR"], "z"), "w") as f:
                    f.write(helper.transform(text) + suffix)
                """);
        files.put("helper.py", "def transform(t):\n    return 'zip:' + t[::-1]\n");
        files.put("data/suffix.txt", "!");
        Cluster.Response z = upload("zip_mod", zip(files), "application/zip", null);
        assertEquals(201, z.status(), z.toString());
        assertEquals("main.py", z.json().path("entry").asText());
        assertEquals("zip", z.json().path("kind").asText());

        Cluster.Response t = upload("tar_mod", tarGz(Map.of("src/run.py", """
                import os
                with open(os.path.join(os.environ["PW_OUTPUT_DIR"], "t"), "w") as f:
                    f.write("tar:" + os.environ["PW_MODULE"] + "@" + os.environ["PW_MODULE_VERSION"])
                """, "README", "not code")), "application/gzip", "entry=src/run.py");
        assertEquals(201, t.status(), t.toString());
        assertEquals("tar.gz", t.json().path("kind").asText());
        assertEquals("src/run.py", t.json().path("entry").asText());

        JsonNode module = cluster.get("/api/v1/modules/echo_mod").json();
        assertEquals(2, module.path("latest").path("version").asInt());
        assertEquals(2, module.path("versions").size());
        assertEquals(2, cluster.get("/api/v1/modules/echo_mod/versions").json().path("versions").size());
        Cluster.Response content = cluster.get("/api/v1/modules/echo_mod/versions/1/content");
        assertEquals(200, content.status());
        assertTrue(content.text().startsWith("PREFIX = 'v1'"), content.text());
        JsonNode listed = cluster.get("/api/v1/modules?page_size=1").json();
        assertEquals(1, listed.path("modules").size());
        assertFalse(listed.path("next_page_after").isNull(), listed.toString());

        cluster.postPipeline("""
                name: modules-run
                dataNodes: {seed: {}, latest: {}, pinned: {}, z: {}, t: {}}
                processNodes:
                  latest: {input: [seed], output: [latest], processor: echo_mod}
                  pinned: {input: [seed], output: [pinned], processor: echo_mod@1}
                  zipped: {input: [seed], output: [z], processor: zip_mod}
                  tarred: {input: [seed], output: [t], processor: tar_mod@1}
                """);
        String job = cluster.submit("modules-run", """
                {"inputs": {"seed": "abc"}}""");
        // a later upload changes nothing for a submitted job: the version was pinned by digest
        uploaded("echo_mod", "PREFIX = 'v3'\n" + ECHO);
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertTrue(Set.of("v2:abc", "v3:abc").contains(cluster.consumableText(job, "latest")));
        assertEquals("v2:abc", cluster.consumableText(job, "latest"), "the latest version when the job was submitted");
        assertEquals("v1:abc", cluster.consumableText(job, "pinned"));
        assertEquals("zip:cba!", cluster.consumableText(job, "z"));
        assertEquals("tar:tar_mod@1", cluster.consumableText(job, "t"));
        String logs = logText(job);
        assertTrue(logs.contains("echo v1 running") && logs.contains("echo v2 running"), logs);
    }

    @Test
    void aRequirementIsInstalledFromTheIndexOnceForTwoJobsAtTheSameTime() throws Exception {
        uploaded("req_mod", """
                import os, pwtiny
                text = open(os.path.join(os.environ["PW_INPUT_DIR"], "seed")).read()
                with open(os.path.join(os.environ["PW_OUTPUT_DIR"], "out"), "w") as f:
                    f.write(pwtiny.VALUE + ":" + text)
                """);
        cluster.postPipeline("""
                name: modules-req
                dataNodes: {seed: {}, out: {}}
                processNodes:
                  use:
                    input: [seed]
                    output: [out]
                    processor: req_mod
                    requirement:
                      - name: pwtiny
                        version: 1.0
                """);
        String a = cluster.submit("modules-req", """
                {"inputs": {"seed": "a"}}""");
        String b = cluster.submit("modules-req", """
                {"inputs": {"seed": "b"}}""");
        JsonNode va = cluster.awaitJob(a, TIMEOUT);
        JsonNode vb = cluster.awaitJob(b, TIMEOUT);
        assertEquals("SUCCESS", va.path("status").asText(), () -> va.toPrettyString() + logText(a));
        assertEquals("SUCCESS", vb.path("status").asText(), () -> vb.toPrettyString() + logText(b));
        assertEquals("tiny-1.0:a", cluster.consumableText(a, "out"));
        assertEquals("tiny-1.0:b", cluster.consumableText(b, "out"));
        assertEquals(1, count(worker.logText(), "building virtual environment [0-9a-f]+ for \\[pwtiny==1.0\\]"),
                "one build for the two jobs: " + worker.logText());
        assertEquals(1, index.downloads("pwtiny"), "pip fetched the wheel once");
        String both = logText(a) + logText(b);
        assertTrue(both.contains("Successfully installed pwtiny-1.0"), "pip's output is in the building task's log: " + both);
        assertTrue(both.contains("waiting for virtual environment"), "the second job waited for the first one's build: " + both);

        // a third job finds it built
        String c = cluster.submit("modules-req", """
                {"inputs": {"seed": "c"}}""");
        assertEquals("SUCCESS", cluster.awaitJob(c, TIMEOUT).path("status").asText());
        assertEquals(1, count(worker.logText(), "building virtual environment [0-9a-f]+ for \\[pwtiny==1.0\\]"));
    }

    @Test
    void twoWorkerProcessesSharingACacheBuildAnEnvironmentOnce() throws Exception {
        index.addWheel("pwshared", "2.0", "pwshared", "VALUE = 'shared-2.0'\n");
        Map<String, String> env = cluster.workerEnv("modw2", 0);
        env.put("PW_POOLS", "mods_b");
        env.put("PW_MODULES", "on");
        env.put("PW_MODULE_CACHE", cache.toString());
        env.put("PW_PIP_INDEX_URL", index.url());
        env.put("PIP_CONFIG_FILE", "/dev/null");
        cluster.trackPool("mods_b");
        try (WorkerProcess second = WorkerProcess.start(env, cache.resolve("worker2.log"), List.of("PW_", "PIP_"))) {
            cluster.awaitWorkersListed(Set.of("modw2"));
            uploaded("shared_mod", """
                    import os, pwshared
                    with open(os.path.join(os.environ["PW_OUTPUT_DIR"], os.environ["PW_OUTPUTS"]), "w") as f:
                        f.write(pwshared.VALUE)
                    """);
            cluster.postPipeline("""
                    name: modules-shared
                    dataNodes: {seed: {}, a: {}, b: {}}
                    requirement:
                      - {name: pwshared, version: "2.0"}
                    processNodes:
                      here: {input: [seed], output: [a], processor: shared_mod}
                      there: {input: [seed], output: [b], processor: shared_mod, pool: mods_b}
                    """);
            String job = cluster.submit("modules-shared", """
                    {"inputs": {"seed": "x"}}""");
            JsonNode view = cluster.awaitJob(job, TIMEOUT);
            assertEquals("SUCCESS", view.path("status").asText(), () -> view.toPrettyString() + logText(job));
            assertEquals("modw", Cluster.task(view, "here").path("worker").asText());
            assertEquals("modw2", Cluster.task(view, "there").path("worker").asText());
            assertEquals("shared-2.0", cluster.consumableText(job, "a"));
            assertEquals("shared-2.0", cluster.consumableText(job, "b"));
            String pattern = "building virtual environment [0-9a-f]+ for \\[pwshared==2.0\\]";
            assertEquals(1, count(worker.logText(), pattern) + count(second.logText(), pattern),
                    "one build on the machine, whichever worker made it");
            assertEquals(1, index.downloads("pwshared"));
        }
    }

    @Test
    void anUnsatisfiableRequirementFailsTheTaskWithoutRetryWithPipsOutputInItsLog() {
        uploaded("unsat_mod", "print('never runs')\n");
        cluster.postPipeline("""
                name: modules-unsat
                dataNodes: {seed: {}, out: {}}
                processNodes:
                  use:
                    input: [seed]
                    output: [out]
                    processor: unsat_mod
                    retries: {max: 3, backoff: fixed, initial: 100ms, jitter: 0}
                    requirement:
                      - {name: pwtiny, version: "9.9"}
                """);
        String job = cluster.submit("modules-unsat", """
                {"inputs": {"seed": "x"}}""");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode task = Cluster.task(view, "use");
        assertEquals(1, task.path("attempts").asInt(), "a pip failure is not retried: " + task);
        assertTrue(task.path("error").asText().contains("pip install failed"), task.toString());
        String logs = logText(job);
        assertTrue(logs.contains("No matching distribution found for pwtiny==9.9"), logs);
        assertFalse(logs.contains("never runs"), logs);
    }

    @Test
    void badUploadsAndUnknownModulesAreRefusedWithTheirLocationAndNothingStoredIsLost() throws Exception {
        uploaded("keep_mod", "PREFIX = 'k'\n" + ECHO);
        Map<String, String> evil = new LinkedHashMap<>();
        evil.put("main.py", "print(1)\n");
        evil.put("../../evil.py", "import os\n");
        Cluster.Response traversal = upload("keep_mod", zip(evil), "application/zip", null);
        assertEquals(400, traversal.status(), traversal.toString());
        JsonNode problem = traversal.json().path("error").path("problems").get(0);
        assertEquals("body: ../../evil.py", problem.path("path").asText(), traversal.toString());
        assertTrue(problem.path("message").asText().contains("path traversal"), traversal.toString());

        Cluster.Response noEntry = upload("keep_mod", zip(Map.of("lib/util.py", "X = 1\n")), "application/zip", null);
        assertEquals(400, noEntry.status(), noEntry.toString());
        assertEquals("entry", noEntry.json().path("error").path("problems").get(0).path("path").asText());
        assertTrue(noEntry.text().contains("no entry point"), noEntry.toString());

        Cluster.Response badName = upload("Bad-Name", "print(1)".getBytes(StandardCharsets.UTF_8), "text/x-python", null);
        assertEquals(400, badName.status(), badName.toString());
        assertEquals(415, upload("keep_mod", "x".getBytes(StandardCharsets.UTF_8), "application/pdf", null).status());
        Cluster.Response processorName = upload("identity", "print(1)".getBytes(StandardCharsets.UTF_8), "text/x-python", null);
        assertEquals(409, processorName.status(), "a built-in processor's name: " + processorName);
        assertEquals("name", processorName.json().path("error").path("problems").get(0).path("path").asText());

        JsonNode kept = cluster.get("/api/v1/modules/keep_mod").json();
        assertEquals(1, kept.path("versions").size(), "the refused uploads stored nothing: " + kept);
        assertEquals("PREFIX = 'k'\n" + ECHO, cluster.get("/api/v1/modules/keep_mod/versions/1/content").text());

        cluster.postPipeline("""
                name: modules-unknown
                dataNodes: {seed: {}, a: {}, b: {}, c: {}}
                processNodes:
                  pinned: {input: [seed], output: [a], processor: keep_mod@7}
                  missing: {input: [seed], output: [b], processor: nosuch_mod@1}
                  plain: {input: [seed], output: [c], processor: nosuch_mod}
                """);
        Cluster.Response refused = cluster.submitRaw("modules-unknown", """
                {"inputs": {"seed": "x"}}""");
        assertEquals(400, refused.status(), refused.toString());
        Map<String, String> byPath = new LinkedHashMap<>();
        refused.json().path("error").path("problems").forEach(p -> byPath.put(p.path("path").asText(), p.path("message").asText()));
        assertTrue(byPath.get("processNodes.pinned.processor").contains("has no version 7 (its versions: 1)"), byPath.toString());
        assertTrue(byPath.get("processNodes.missing.processor").contains("no module 'nosuch_mod'"), byPath.toString());
        assertTrue(byPath.get("processNodes.plain.processor").contains("no module is named 'nosuch_mod'"), byPath.toString());

        // a submit role cannot upload; deleting a version leaves the module's others
        String submitter = cluster.createToken("mod-submitter", "submit", "someone");
        assertEquals(403, cluster.as(submitter, "POST", "/api/v1/modules/keep_mod", "print(1)").status());
        uploaded("keep_mod", "PREFIX = 'k2'\n" + ECHO);
        Cluster.Response deleted = cluster.send(java.net.http.HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/modules/keep_mod/versions/1"))
                .DELETE());
        assertEquals(200, deleted.status(), deleted.toString());
        assertEquals(2, deleted.json().path("latest_version").asInt());
        assertEquals(404, cluster.get("/api/v1/modules/keep_mod/versions/1/content").status());
        assertEquals(200, cluster.get("/api/v1/modules/keep_mod/versions/2/content").status());
    }

    @Test
    void cancelAndTimeoutReachARunningModule() throws Exception {
        uploaded("sleeper", """
                import os, time
                print("pid=%d" % os.getpid(), flush=True)
                time.sleep(60)
                """);
        cluster.postPipeline("""
                name: modules-sleep
                dataNodes: {seed: {}, out: {}}
                processNodes:
                  nap: {input: [seed], output: [out], processor: sleeper}
                """);
        String job = cluster.submit("modules-sleep", """
                {"inputs": {"seed": "x"}}""");
        long pid = awaitPid(job);
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the module runs");
        assertEquals(202, cluster.post("/api/v1/jobs/" + job + "/cancel", "{}", "application/json").status());
        Cluster.await("the module's process to end after the cancel", Duration.ofSeconds(3),
                () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        assertEquals("CANCELLED", cluster.awaitJob(job, TIMEOUT).path("status").asText());

        cluster.postPipeline("""
                name: modules-timeout
                dataNodes: {seed: {}, out: {}}
                processNodes:
                  nap: {input: [seed], output: [out], processor: sleeper, timeout: 2s}
                """);
        String timed = cluster.submit("modules-timeout", """
                {"inputs": {"seed": "x"}}""");
        long timedPid = awaitPid(timed);
        JsonNode view = cluster.awaitJob(timed, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        assertTrue(Cluster.task(view, "nap").path("error").asText().contains("timeout"), view.toPrettyString());
        Cluster.await("the timed-out module's process to end", Duration.ofSeconds(3),
                () -> ProcessHandle.of(timedPid).map(h -> !h.isAlive()).orElse(true));
    }

    private static long awaitPid(String job) {
        Pattern p = Pattern.compile("pid=(\\d+)");
        long[] pid = {0};
        Cluster.await("the module to log its pid", TIMEOUT, () -> {
            Matcher m = p.matcher(logText(job));
            if (m.find()) {
                pid[0] = Long.parseLong(m.group(1));
                return true;
            }
            return false;
        });
        return pid[0];
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
