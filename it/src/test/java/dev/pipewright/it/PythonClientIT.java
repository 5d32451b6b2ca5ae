package dev.pipewright.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        repo = repoRoot();
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
        Path venv = repo.resolve("it/target/python-venv");
        Path python = venv.resolve("bin/python");
        if (!Files.isExecutable(python)) {
            run("creating a virtual environment (python3 -m venv)", PIP_MINUTES, Map.of(), "python3", "-m", "venv", venv.toString());
        }
        if (!Files.isExecutable(venv.resolve("bin/pytest"))) {
            run("installing pytest with pip (from the configured package index)", PIP_MINUTES, Map.of(),
                    python.toString(), "-m", "pip", "install", "-q", "--retries", "0", "pytest");
        }
        // the package as a user installs it; reinstalled every time so the tests see this checkout
        run("pip install ./clients/python", PIP_MINUTES, Map.of(), python.toString(), "-m", "pip", "install", "-q", "--retries", "0",
                "--force-reinstall", "--no-deps", repo.resolve("clients/python").toString());

        String token = cluster.createToken("python-client", "submit", null);
        String developer = cluster.createToken("python-developer", "developer", null);
        Result pytest = run(null, PYTEST_MINUTES, Map.of("PW_URL", cluster.baseUri().toString().replaceAll("/$", ""), "PW_TOKEN", token,
                        "PW_DEVELOPER_TOKEN", developer, "PW_EXAMPLES_DIR", repo.resolve("examples").toString()),
                python.toString(), "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-v", repo.resolve("clients/python/tests").toString());
        System.out.println(pytest.output);
        if (pytest.exit != 0) {
            fail("pytest exited " + pytest.exit + ":\n" + pytest.output);
        }
        Matcher summary = Pattern.compile("=+ (.*) in [0-9.]+s.* =+\\s*$").matcher(pytest.output.strip());
        assertTrue(summary.find(), "pytest's summary line: " + pytest.output);
        String counts = summary.group(1);
        assertTrue(counts.matches("\\d+ passed"), "only passed tests (none skipped, none xfailed): " + counts);
        assertTrue(Integer.parseInt(counts.split(" ")[0]) >= 24, "the whole suite ran: " + counts);
    }

    private record Result(int exit, String output) {
    }

    /** Runs a command in the repository; with {@code what} set, anything but exit 0 fails the test naming it. */
    private static Result run(String what, long minutes, Map<String, String> env, String... argv) throws Exception {
        List<String> command = new ArrayList<>(List.of(argv));
        ProcessBuilder pb = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PW_"));
        pb.environment().put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        pb.environment().putAll(env);
        Path log = Files.createTempFile(dir, "proc", ".log");
        pb.redirectOutput(log.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            fail("cannot run " + argv[0] + " (" + (what == null ? "pytest" : what) + "): " + e.getMessage()
                    + " - the Python client tests need python3 with venv and pip");
            throw e;
        }
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail((what == null ? "pytest" : what) + " did not finish within " + minutes + " min:\n" + Files.readString(log, StandardCharsets.UTF_8));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (what != null) {
            assertEquals(0, p.exitValue(), () -> what + " failed:\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    private static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("clients/python/pyproject.toml"))) {
                return d;
            }
        }
        throw new AssertionError("no clients/python/pyproject.toml above " + Path.of("").toAbsolutePath());
    }
}
