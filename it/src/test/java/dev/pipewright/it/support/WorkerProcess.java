package dev.pipewright.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A worker started as its own OS process from the shaded {@code worker.jar}, so a test can SIGKILL it. */
public final class WorkerProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code java -jar worker.jar} with exactly these settings; its output goes to {@code log}. */
    public static WorkerProcess start(Map<String, String> env, Path log) throws IOException {
        return start(env, log, List.of("PW_"));
    }

    /** Like {@link #start(Map, Path)}, leaving out of the inherited environment every variable with one of these prefixes. */
    public static WorkerProcess start(Map<String, String> env, Path log, List<String> dropPrefixes) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-jar", workerJar().toString()));
        pb.environment().keySet().removeIf(k -> dropPrefixes.stream().anyMatch(k::startsWith));
        pb.environment().putAll(env);
        Files.createDirectories(log.toAbsolutePath().getParent());
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return new WorkerProcess(pb.start(), log);
    }

    /**
     * The shaded worker jar: {@code -Dpipewright.workerJar} (set by the module's Failsafe
     * configuration), else {@code worker/target/worker.jar} next to this module.
     */
    public static Path workerJar() {
        String configured = System.getProperty("pipewright.workerJar");
        Path jar = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent().resolve("worker/target/worker.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist; build it first (mvn -B package -pl worker -am)");
        }
        return jar.normalize();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGTERM: the worker's shutdown hook runs (graceful stop); returns its exit code, or fails if it outlives the wait. */
    public int terminate(java.time.Duration wait) throws IOException, InterruptedException {
        signal("TERM");
        if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("worker process " + process.pid() + " still runs " + wait + " after SIGTERM");
        }
        return process.exitValue();
    }

    /** SIGSTOP: the process freezes (no heartbeat, no commit) as if cut off; {@link #resume()} undoes it. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze()}. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is committed, no connection is closed politely. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("worker process " + process.pid() + " survived SIGKILL");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
