package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.OwnS3;
import dev.pipewright.it.support.PythonRun;
import dev.pipewright.it.support.WorkerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * examples/sales as a data scientist runs it: {@code examples/sales/run.py} (the pipewright package
 * and boto3, installed with pip into a virtual environment) puts a month of sales into the object
 * store, uploads the example's module over HTTP with a developer token, registers the pipeline and
 * reads the outputs back. The worker is a plain {@code worker.jar} with {@code PW_MODULES=on}: no
 * registry entry, nothing an operator did for this module. The module's requirement (tabulate) is
 * installed by the worker with pip from the machine's configured package index (pip's defaults,
 * as a user's worker would; these machines' pip reads local indexes that hold it).
 */
class SalesExampleIT {
    private static final long PIP_MINUTES = 5;
    private static final ObjectMapper JSON = new ObjectMapper();
    static OwnS3 s3;
    static Cluster cluster;
    static WorkerProcess worker;
    static Path dir;
    static Map<String, String> objects;

    @BeforeAll
    static void start() throws Exception {
        s3 = OwnS3.start("pwsales");
        objects = new LinkedHashMap<>(s3.env());
        objects.put("PW_DATA_STORE", "s3://pwsales/data");
        Cluster.Builder builder = Cluster.builder().workers(0).shards(1);
        objects.forEach(builder::overseerSetting);
        cluster = builder.start();
        dir = Files.createTempDirectory("pw-sales-it-");
        Map<String, String> env = cluster.workerEnv("sales-worker", 0);
        env.putAll(objects);
        env.put("PW_MODULES", "on");
        env.put("PW_MODULE_CACHE", dir.resolve("cache").toString());
        worker = WorkerProcess.start(env, dir.resolve("worker.log"));
        cluster.awaitWorkersListed(Set.of("sales-worker"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) {
            worker.terminate(Duration.ofSeconds(20));
        }
        if (cluster != null) {
            cluster.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void theSalesExampleRunsFromPythonWithAnUploadedModuleOnDataInTheObjectStore() throws Exception {
        PythonRun py = new PythonRun(dir);
        Path python = py.venv("python-venv-sales", PIP_MINUTES, "boto3");

        String token = cluster.createToken("data-scientist", "developer", "ds");
        Map<String, String> env = new LinkedHashMap<>(objects);
        env.put("PW_URL", cluster.baseUri().toString().replaceAll("/$", ""));
        env.put("PW_TOKEN", token);
        String out = py.run("python examples/sales/run.py", PIP_MINUTES, env, python.toString(), "examples/sales/run.py", "--month", "2026-11",
                "--rows", "20000").output();

        // the table and the totals, read back through the API
        assertTrue(out.contains("Sales 2026-11") && out.contains("| east") && out.contains("revenue (EUR)"), out);
        assertTrue(out.contains("\"rows\": 20000"), out);
        assertTrue(out.contains("building virtual environment") && out.contains("tabulate"), "pip's work is in the task log: " + out);

        // the job's values: the 600 KB input pinned in the object store (only a reference in Redis), the table
        // written to the owner's area of the object store by its sink
        Cluster.Response jobs = cluster.get("/api/v1/jobs?pipeline=sales");
        String job = JSON.readTree(jobs.body()).path("jobs").path(0).path("id").asText();
        JsonNode consumables = JSON.readTree(cluster.get("/api/v1/jobs/" + job + "/consumables").body()).path("consumables");
        JsonNode sales = null;
        for (JsonNode c : consumables) {
            if (c.path("node").asText().equals("sales")) {
                sales = c;
            }
        }
        assertTrue(sales != null && sales.path("size").asLong() > 256 * 1024, "the input's size is listed: " + consumables);
        assertFalse(sales.has("value"), "a value over PW_INLINE_MAX is not inlined: " + sales);
        Path table = s3.objectFile("pwsales", "data/owners/ds/out/sales/2026-11.txt");
        assertTrue(Files.isRegularFile(table), "the sink wrote " + table);
        assertTrue(Files.readString(table).startsWith("Sales 2026-11"), Files.readString(table));

        // the same run again: the same module content is the same version, the environment is reused
        String again = py.run("python examples/sales/run.py (again)", PIP_MINUTES, env, python.toString(), "examples/sales/run.py",
                "--month", "2026-11", "--rows", "20000", "--keep-data").output();
        assertTrue(again.contains("module:   sales_summary@1 "), again);
        assertFalse(again.contains("building virtual environment"), "the environment is built once: " + again);
        assertEquals(1, count(Files.readString(dir.resolve("worker.log")), "building virtual environment"),
                "one build in the worker's log");
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
