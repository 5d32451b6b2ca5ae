package dev.pipewright.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Python from the integration tests: the repository's root (where clients/python is), a virtual
 * environment under it/target with the pipewright package installed from this checkout, and
 * commands run in the repository with none of the test JVM's {@code PW_}/{@code AWS_} variables
 * (only those a test gives), their output kept in a file of {@code logs}.
 */
public final class PythonRun {
    public record Result(int exit, String output) {
    }

    private final Path repo;
    private final Path logs;

    public PythonRun(Path logs) {
        this.repo = repoRoot();
        this.logs = logs;
    }

    public Path repo() {
        return repo;
    }

    /**
     * The Python of a virtual environment {@code it/target/<name>}, made when missing, with
     * {@code packages} installed from the configured package index and the package in
     * clients/python installed again every time (so the tests see this checkout).
     */
    public Path venv(String name, long minutes, String... packages) throws Exception {
        Path venv = repo.resolve("it/target").resolve(name);
        Path python = venv.resolve("bin/python");
        if (!Files.isExecutable(python)) {
            run("creating a virtual environment (python3 -m venv)", minutes, Map.of(), "python3", "-m", "venv", venv.toString());
        }
        for (String p : packages) {
            if (!Files.exists(venv.resolve(".installed-" + p))) {
                run("installing " + p + " with pip (from the configured package index)", minutes, Map.of(),
                        python.toString(), "-m", "pip", "install", "-q", "--retries", "0", p);
                Files.createFile(venv.resolve(".installed-" + p));
            }
        }
        run("pip install ./clients/python", minutes, Map.of(), python.toString(), "-m", "pip", "install", "-q", "--retries", "0",
                "--force-reinstall", "--no-deps", repo.resolve("clients/python").toString());
        return python;
    }

    /** Runs a command in the repository; with {@code what} set, anything but exit 0 fails the test naming it. */
    public Result run(String what, long minutes, Map<String, String> env, String... argv) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(argv)).directory(repo.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PW_") || k.startsWith("AWS_"));
        pb.environment().put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        pb.environment().putAll(env);
        Files.createDirectories(logs);
        Path log = Files.createTempFile(logs, "proc", ".log");
        pb.redirectOutput(log.toFile());
        String name = what == null ? String.join(" ", argv) : what;
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            fail("cannot run " + argv[0] + " (" + name + "): " + e.getMessage() + " - these tests need python3 with venv and pip");
            throw e;
        }
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail(name + " did not finish within " + minutes + " min:\n" + Files.readString(log, StandardCharsets.UTF_8));
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
