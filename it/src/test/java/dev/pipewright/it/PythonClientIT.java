package dev.pipewright.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.PythonRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Python package (clients/python) against a live cluster: installs it with pip into a virtual
 * environment under it/target (from the machine's configured package index; pytest too), then runs
 * its pytest suite with PW_URL and a submit token in PW_TOKEN. The suite walks through seed 002
 * (pipelines, runs, submit_job with config infra numbers, listings, wait, outputs, logs, refusals)
 * and seed 000 (a module written with pipewright.processor, served here as an exec processor with
 * the package's source on PYTHONPATH, as examples/processors.yaml does), and the documents example,
 * whose modules import the package's helper, registered by examples/processors.yaml as it is. Any pytest failure, error
 * or skip fails this test, with pytest's output.
 */
class PythonClientIT {
    private static final long PIP_MINUTES = 5;
    private static final long PYTEST_MINUTES = 6;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));
    @TempDir
    static Path dir;
    static Cluster cluster;
    static Path repo;

    @BeforeAll
    static void start() throws Exception {
        repo = new PythonRun(dir).repo();
        Path client = repo.resolve("clients/python");
        String src = client.resolve("src").toString();
        String modules = client.resolve("tests/modules").toString();
        // the examples' registry as it is (its documents modules import pipewright.processor through its
        // PYTHONPATH, relative to examples/), plus the two test modules
        ObjectNode registry = (ObjectNode) YAML.readTree(repo.resolve("examples/processors.yaml").toFile());
        ObjectNode processors = (ObjectNode) registry.path("processors");
        processors.fields().forEachRemaining(e -> {
            if (!e.getValue().has("workdir")) {
                ((ObjectNode) e.getValue()).put("workdir", repo.resolve("examples").toString());
            }
        });
        for (String name : List.of("add_numbers", "word_count")) {
            ObjectNode p = processors.putObject("py_" + name);
            p.putArray("command").add("python3").add(modules + "/" + name + ".py");
            p.putObject("env").put("PYTHONPATH", src).put("PYTHONDONTWRITEBYTECODE", "1").put("PYTHONUNBUFFERED", "1")
                    .put("PYTHONIOENCODING", "utf-8");
            p.put("timeout", "1m");
            p.putArray("permanentExitCodes").add(2);
        }
        Path registryFile = dir.resolve("processors.yaml");
        YAML.writeValue(registryFile.toFile(), registry);
        cluster = Cluster.builder().workers(1).concurrency(4).processorsFile(registryFile).start();
        // the documents example reads shared/documents/<id>.txt from the data store
        copyTree(repo.resolve("examples/data/shared/documents"), cluster.dataDir().resolve("shared/documents"));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName().toString()));
            }
        }
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void thePythonPackagesTestsPassAgainstTheLiveSystem() throws Exception {
        PythonRun py = new PythonRun(dir);
        Path python = py.venv("python-venv", PIP_MINUTES, "pytest");

        String token = cluster.createToken("python-client", "submit", null);
        String developer = cluster.createToken("python-developer", "developer", null);
        PythonRun.Result pytest = py.run(null, PYTEST_MINUTES, Map.of("PW_URL", cluster.baseUri().toString().replaceAll("/$", ""), "PW_TOKEN", token,
                        "PW_DEVELOPER_TOKEN", developer, "PW_EXAMPLES_DIR", repo.resolve("examples").toString()),
                python.toString(), "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-v", repo.resolve("clients/python/tests").toString());
        System.out.println(pytest.output());
        if (pytest.exit() != 0) {
            fail("pytest exited " + pytest.exit() + ":\n" + pytest.output());
        }
        Matcher summary = Pattern.compile("=+ (.*) in [0-9.]+s.* =+\\s*$").matcher(pytest.output().strip());
        assertTrue(summary.find(), "pytest's summary line: " + pytest.output());
        String counts = summary.group(1);
        assertTrue(counts.matches("\\d+ passed"), "only passed tests (none skipped, none xfailed): " + counts);
        assertTrue(Integer.parseInt(counts.split(" ")[0]) >= 24, "the whole suite ran: " + counts);
    }
}
