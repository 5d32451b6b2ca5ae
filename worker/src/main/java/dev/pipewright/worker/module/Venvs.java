package dev.pipewright.worker.module;

import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * The virtual environments modules run in, one per distinct requirement set
 * ({@link VenvKey}: requirements, Python, index), under {@code <cache>/venvs/<key>}. Each is built
 * once per machine: attempts in this worker that need one being built wait for that build (an
 * in-process future), workers of the same host wait on a file lock ({@code <key>.lock}); the
 * build goes into a temporary directory renamed into place once pip succeeded, so a crashed or
 * failed build never leaves a half environment where one is looked for. pip's output is the log
 * of the attempt that builds; a pip failure fails that attempt, and those waiting for it, for good.
 */
public final class Venvs {
    private static final Logger LOG = LoggerFactory.getLogger(Venvs.class);
    private static final String COMPLETE = ".pipewright-complete";

    private final Path root;
    private final String python;
    private final String indexUrl;
    /**
     * Builds under way in this JVM, by environment directory: JVM-wide, because a file lock is held
     * per JVM (a second lock on the same file in one JVM is refused, not waited for), and tests run
     * several workers in one JVM.
     */
    private static final ConcurrentHashMap<Path, CompletableFuture<Path>> BUILDING = new ConcurrentHashMap<>();
    private volatile String pythonVersion;

    public Venvs(Path root, String python, String indexUrl) {
        this.root = root;
        this.python = python;
        this.indexUrl = indexUrl;
    }

    /** The Python of the environment these requirements name, built first if needed (into {@code log}). */
    public Path python(List<String> requirements, TaskLog log) throws Exception {
        String key = VenvKey.of(requirements, pythonVersion(), indexUrl);
        Path dir = root.resolve(key);
        if (Files.exists(dir.resolve(COMPLETE))) {
            return dir.resolve("bin").resolve("python");
        }
        CompletableFuture<Path> mine = new CompletableFuture<>();
        CompletableFuture<Path> theirs = BUILDING.putIfAbsent(dir.toAbsolutePath().normalize(), mine);
        if (theirs != null) {
            ModuleRunner.note(log, "waiting for virtual environment " + key + " " + requirements + ", being built by another task");
            try {
                return theirs.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception x ? x : e;
            }
        }
        try {
            Path p = buildLocked(key, dir, requirements, log);
            mine.complete(p);
            return p;
        } catch (Throwable t) {
            mine.completeExceptionally(t instanceof InterruptedException
                    ? TaskFailure.retryable("the task building virtual environment " + key + " was stopped; try again") : t);
            throw t;
        } finally {
            BUILDING.remove(dir.toAbsolutePath().normalize(), mine);
        }
    }

    private Path buildLocked(String key, Path dir, List<String> requirements, TaskLog log) throws Exception {
        Files.createDirectories(root);
        try (FileChannel lockFile = FileChannel.open(root.resolve(key + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            if (Files.exists(dir.resolve(COMPLETE))) {
                return dir.resolve("bin").resolve("python"); // another worker on this host built it meanwhile
            }
            ModuleRunner.deleteTree(dir); // left by a crash between the rename and the marker
            LOG.info("building virtual environment {} for {} (index {})", key, requirements, indexUrl == null ? "pip's default" : indexUrl);
            ModuleRunner.note(log, "building virtual environment " + key + " for " + requirements);
            Path tmp = root.resolve(".build-" + key + "-" + UUID.randomUUID());
            try {
                run(List.of(python, "-m", "venv", tmp.toString()), log, "python -m venv");
                List<String> pip = new ArrayList<>(List.of(tmp.resolve("bin").resolve("python").toString(), "-m", "pip", "install",
                        "--disable-pip-version-check", "--no-input", "--no-warn-script-location"));
                if (indexUrl != null) {
                    pip.add("--index-url");
                    pip.add(indexUrl);
                }
                pip.add("--"); // whatever follows is a requirement, never an option (they are checked at pipeline create too)
                pip.addAll(requirements);
                run(pip, log, "pip install");
                Files.writeString(tmp.resolve(COMPLETE), String.join("\n", requirements) + "\n");
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                ModuleRunner.deleteTree(tmp);
            }
            LOG.info("virtual environment {} is ready", key);
            return dir.resolve("bin").resolve("python");
        }
    }

    /** Runs a build step with its output into the task's log; a non-zero exit fails the task for good. */
    private static void run(List<String> argv, TaskLog log, String what) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("PYTHONUNBUFFERED", "1");
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw TaskFailure.permanent(what + " cannot start: " + e.getMessage());
        }
        process.getOutputStream().close();
        List<String> tail = new ArrayList<>();
        // read on a thread of its own: a blocked read would not see the attempt's interrupt (cancel, timeout)
        Thread pump = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.line(line);
                    synchronized (tail) {
                        tail.add(line);
                        if (tail.size() > 5) {
                            tail.remove(0);
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        int exit;
        try {
            exit = process.waitFor();
        } catch (InterruptedException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw e;
        }
        pump.join(2000);
        if (exit != 0) {
            String last;
            synchronized (tail) {
                last = String.join(" | ", tail);
            }
            throw new TaskFailure("RequirementsFailed", what + " failed (exit code " + exit + "); its output is in the task's log"
                    + (last.isEmpty() ? "" : ": " + last), false);
        }
    }

    private String pythonVersion() throws Exception {
        String v = pythonVersion;
        if (v == null) {
            Process p;
            try {
                p = new ProcessBuilder(python, "-c", "import sys, platform; print(sys.version.replace(chr(10), ' '), platform.machine())")
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                throw TaskFailure.permanent("the worker's Python (" + python + ", PW_PYTHON) cannot start: " + e.getMessage());
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                throw TaskFailure.permanent("the worker's Python (" + python + ", PW_PYTHON) failed: " + out);
            }
            pythonVersion = v = out;
        }
        return v;
    }
}
