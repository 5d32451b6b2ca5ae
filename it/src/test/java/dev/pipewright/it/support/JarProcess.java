package dev.pipewright.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Pipewright service (overseer or worker) started as its own OS process from its shaded jar, so
 * a test can SIGKILL or SIGTERM it. Only the given {@code PW_*} settings reach it.
 */
public final class JarProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private JarProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static JarProcess overseer(Map<String, String> env, Path log) throws IOException {
        return start(jar("overseer"), env, log);
    }

    public static JarProcess worker(Map<String, String> env, Path log) throws IOException {
        return start(jar("worker"), env, log);
    }

    /**
     * A worker with more on its class path after the jar (test processors found by ServiceLoader:
     * a directory holding their classes and a {@code META-INF/services} entry).
     */
    public static JarProcess worker(Map<String, String> env, Path log, List<Path> extraClassPath) throws IOException {
        StringBuilder cp = new StringBuilder(jar("worker").toString());
        extraClassPath.forEach(p -> cp.append(java.io.File.pathSeparatorChar).append(p));
        return start(List.of("-cp", cp.toString(), "dev.pipewright.worker.WorkerMain"), env, log);
    }

    private static JarProcess start(Path jar, Map<String, String> env, Path log) throws IOException {
        return start(List.of("-jar", jar.toString()), env, log);
    }

    private static JarProcess start(List<String> what, Map<String, String> env, Path log) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> argv = new java.util.ArrayList<>(List.of(java.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        argv.addAll(what);
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().keySet().removeIf(k -> k.startsWith("PW_"));
        pb.environment().putAll(env);
        Files.createDirectories(log.toAbsolutePath().getParent());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return new JarProcess(pb.start(), log);
    }

    /**
     * The shaded jar of a module: {@code -Dpipewright.<module>Jar} (set by this module's Failsafe
     * configuration), else {@code <module>/target/<module>.jar} next to this module.
     */
    public static Path jar(String module) {
        String configured = System.getProperty("pipewright." + module + "Jar");
        Path jar = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent().resolve(module + "/target/" + module + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist; build it first (mvn -B package -pl " + module + " -am)");
        }
        return jar.normalize();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is committed, no connection is closed politely. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("process " + process.pid() + " survived SIGKILL");
        }
    }

    /** Freezes ({@code STOP}) or thaws ({@code CONT}) the process: a stalled, not a dead, service. */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** SIGTERM, then waits for the process to end on its own. */
    public boolean terminate(long timeoutMs) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
