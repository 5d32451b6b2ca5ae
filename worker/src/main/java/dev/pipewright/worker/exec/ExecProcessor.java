package dev.pipewright.worker.exec;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a registered command for one attempt. Inputs are files in {@code $PW_INPUT_DIR} (one per
 * data node), outputs must be written to {@code $PW_OUTPUT_DIR/<data node>}; parameters and
 * config arrive as JSON ({@code $PW_PARAMS}, {@code $PW_CONFIG}, {@code $PW_TASK_FILE}) and as
 * {@code PW_PARAM_<NAME>} variables. Stdout and stderr become the task's log. An interrupt
 * (cancel, lost lease) sends SIGTERM to the whole process tree, then SIGKILL after a grace period.
 */
public final class ExecProcessor implements Processor {
    /** How long a stopped command may take to exit after SIGTERM; short enough that a cancel ends it within 2 s. */
    public static final long KILL_GRACE_MS = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ExecCommand command;

    public ExecProcessor(ExecCommand command) {
        this.command = command;
    }

    @Override
    public String name() {
        return command.name();
    }

    @Override
    public TaskResult process(TaskContext ctx) throws Exception {
        Path dir = Files.createTempDirectory("pw-" + ctx.node() + "-");
        try {
            return run(ctx, dir);
        } finally {
            deleteTree(dir);
        }
    }

    private TaskResult run(TaskContext ctx, Path dir) throws Exception {
        Path in = Files.createDirectory(dir.resolve("in"));
        Path out = Files.createDirectory(dir.resolve("out"));
        Map<String, String> inputPaths = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : ctx.inputs().entrySet()) {
            Path p = in.resolve(e.getKey());
            Files.write(p, e.getValue());
            inputPaths.put(e.getKey(), p.toString());
        }
        Map<String, String> outputPaths = new LinkedHashMap<>();
        for (String name : ctx.outputs()) {
            outputPaths.put(name, out.resolve(name).toString());
        }
        Map<String, Object> task = new LinkedHashMap<>();
        task.put("job", ctx.jobId());
        task.put("node", ctx.node());
        task.put("attempt", ctx.attempt());
        task.put("inputs", inputPaths);
        task.put("outputs", outputPaths);
        task.put("parameters", ctx.parameters());
        task.put("config", ctx.config());
        Path taskFile = dir.resolve("task.json");
        JSON.writeValue(taskFile.toFile(), task);

        ProcessBuilder pb = new ProcessBuilder(command.argv()).directory(command.workdir().toFile());
        Map<String, String> env = pb.environment();
        env.putAll(command.env());
        env.put("PW_JOB_ID", ctx.jobId());
        env.put("PW_NODE", ctx.node());
        env.put("PW_ATTEMPT", Integer.toString(ctx.attempt()));
        env.put("PW_INPUT_DIR", in.toString());
        env.put("PW_OUTPUT_DIR", out.toString());
        env.put("PW_TASK_FILE", taskFile.toString());
        env.put("PW_PARAMS", JSON.writeValueAsString(ctx.parameters()));
        env.put("PW_CONFIG", JSON.writeValueAsString(ctx.config()));
        env.put("PW_INPUTS", String.join(",", ctx.inputs().keySet()));
        env.put("PW_OUTPUTS", String.join(",", ctx.outputs()));
        for (Map.Entry<String, Object> p : ctx.parameters().entrySet()) {
            Object v = p.getValue();
            env.put("PW_PARAM_" + envName(p.getKey()), v instanceof String s ? s : JSON.writeValueAsString(v));
        }
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw TaskFailure.permanent("cannot start " + command.argv() + " in " + command.workdir() + ": " + e.getMessage());
        }
        process.getOutputStream().close();
        Deque<String> lastErr = new ArrayDeque<>();
        Thread outPump = pump(process.getInputStream(), "stdout", ctx, null);
        Thread errPump = pump(process.getErrorStream(), "stderr", ctx, lastErr);
        int exit;
        try {
            if (command.timeout() != null) {
                if (!process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    stop(process);
                    throw TaskFailure.retryable("command ran longer than its registered timeout " + command.timeout());
                }
                exit = process.exitValue();
            } else {
                exit = process.waitFor();
            }
        } catch (InterruptedException e) {
            stop(process);
            throw e;
        }
        outPump.join(2000);
        errPump.join(2000);
        if (exit != 0) {
            String tail;
            synchronized (lastErr) {
                tail = String.join("\n", lastErr);
            }
            String message = "command exited with code " + exit + (tail.isEmpty() ? "" : ": " + tail);
            throw new TaskFailure("ExitCode" + exit, message, command.retryable(exit));
        }
        Map<String, byte[]> outputs = new LinkedHashMap<>();
        for (String name : ctx.outputs()) {
            Path p = out.resolve(name);
            if (!Files.isRegularFile(p)) {
                throw TaskFailure.permanent("command exited 0 but did not write output '" + name + "' ($PW_OUTPUT_DIR/" + name + ")");
            }
            outputs.put(name, Files.readAllBytes(p));
        }
        return TaskResult.of(outputs);
    }

    /** SIGTERM to the process and its descendants, SIGKILL to whatever is left after the grace period. */
    static void stop(Process process) {
        List<ProcessHandle> tree = Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_GRACE_MS);
        for (ProcessHandle h : tree) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    h.onExit().get(left, TimeUnit.NANOSECONDS);
                }
            } catch (Exception ignored) {
                // killed below
            }
        }
        Stream.concat(process.descendants(), tree.stream()).filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static Thread pump(InputStream stream, String label, TaskContext ctx, Deque<String> keep) {
        return Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    ctx.log().line("[" + label + "] " + line);
                    if (keep != null) {
                        synchronized (keep) {
                            keep.addLast(line);
                            if (keep.size() > 10) {
                                keep.removeFirst();
                            }
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process went away
            }
        });
    }

    static String envName(String name) {
        return name.toUpperCase().replaceAll("[^A-Z0-9_]", "_");
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp files; the OS cleans up
        }
    }
}
