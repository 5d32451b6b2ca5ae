package dev.pipewright.worker.exec;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;
import dev.pipewright.worker.store.LargeValues;

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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a registered command for one attempt. Inputs are files in {@code $PW_INPUT_DIR} (one per
 * data node), outputs must be written to {@code $PW_OUTPUT_DIR/<data node>}; parameters and
 * config arrive as JSON files ({@code $PW_PARAMS_FILE}, {@code $PW_TASK_FILE}), and those small
 * enough for the environment also as variables ({@code $PW_PARAMS}, {@code $PW_CONFIG},
 * {@code PW_PARAM_<NAME>}: see {@link #parameterEnv}). Stdout and stderr become the task's log. An interrupt
 * (cancel, lost lease) sends SIGTERM to the whole process tree, then SIGKILL after a grace period.
 * Where {@code setsid} exists (util-linux: Debian, Ubuntu, the eclipse-temurin images) each command
 * starts in a session and process group of its own, so that "the whole tree" includes what it
 * forks after the SIGTERM and what it double-forked away (reparented, no longer a descendant).
 */
public final class ExecProcessor implements Processor {
    /** How long a stopped command may take to exit after SIGTERM; short enough that a cancel ends it within 2 s. */
    public static final long KILL_GRACE_MS = 1000;
    /** How long {@link #stop} goes on sending SIGKILL to what is left of a command before it gives up. */
    static final long KILL_PATIENCE_MS = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** util-linux {@code setsid}, when this system has it; commands then run in a process group of their own. */
    static final Path SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid").map(Path::of).filter(Files::isExecutable)
            .findFirst().orElse(null);
    private static final Path PROC = Path.of("/proc");

    private final ExecCommand command;
    private volatile String version;
    private final LargeValues large;

    public ExecProcessor(ExecCommand command) {
        this(command, LargeValues.NONE);
    }

    public ExecProcessor(ExecCommand command, LargeValues large) {
        this.command = command;
        this.large = large;
    }

    @Override
    public String version() {
        // read once: the worker announced this version at start, and keys stored from it must match
        String v = version;
        if (v == null) {
            v = command.version();
            version = v;
        }
        return v;
    }

    @Override
    public boolean deterministic() {
        return command.deterministic();
    }

    @Override
    public boolean readsReferences() {
        return true;
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
            // a large input is streamed from the object store into the file, never held in memory
            large.toFile(e.getKey(), e.getValue(), p);
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
        Path paramsFile = dir.resolve("params.json");
        JSON.writeValue(paramsFile.toFile(), ctx.parameters());
        env.put("PW_PARAMS_FILE", paramsFile.toString());
        env.put("PW_INPUTS", String.join(",", ctx.inputs().keySet()));
        env.put("PW_OUTPUTS", String.join(",", ctx.outputs()));
        env.putAll(parameterEnv(ctx.parameters(), ctx.config()));
        Process process;
        try {
            if (SETSID != null) {
                // setsid execs the command in place (the JVM's child leads no group), so the process is
                // the command itself; -w only matters if it ever had to fork. It cannot tell us that the
                // program is missing other than by exit code 127, so that is checked first.
                Path program = resolve(command.argv().get(0), command.workdir(), env.get("PATH"));
                if (program == null) {
                    throw new IOException("no such executable file");
                }
                List<String> argv = new java.util.ArrayList<>(List.of(SETSID.toString(), "-w"));
                argv.addAll(command.argv());
                pb.command(argv);
            }
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
        try {
            for (String name : ctx.outputs()) {
                Path p = out.resolve(name);
                if (!Files.isRegularFile(p)) {
                    if (ctx.isOptional(name)) {
                        continue; // left unproduced: the tasks that need it are skipped
                    }
                    throw TaskFailure.permanent("command exited 0 but did not write output '" + name + "' ($PW_OUTPUT_DIR/" + name + ")");
                }
                // over PW_INLINE_MAX (with an object store): uploaded from the file in parts, a reference committed
                outputs.put(name, large.fromFile(ctx.jobId(), ctx.node(), ctx.attempt(), name, p));
            }
        } catch (Exception e) {
            large.discard(outputs);
            throw e;
        }
        return TaskResult.of(outputs);
    }

    /** The executable {@code program} names, as execvp finds it (a path, else the first match on PATH); null when none. */
    static Path resolve(String program, Path workdir, String path) {
        if (program.contains("/")) {
            Path p = workdir.resolve(program);
            return Files.isExecutable(p) && !Files.isDirectory(p) ? p : null;
        }
        for (String dir : (path == null ? "/usr/local/bin:/usr/bin:/bin" : path).split(":")) {
            Path p = workdir.resolve(dir.isEmpty() ? "." : dir).resolve(program);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * SIGTERM to the command's process tree, SIGKILL to whatever is left of it after the grace
     * period, again until nothing is left. The tree is every process of the command's process
     * groups (its own group when it was started by setsid, and any group a descendant leads), which
     * catches children forked after the SIGTERM and ones that double-forked away from the tree,
     * plus every descendant (a child that moved to another group). Scanned afresh each round.
     */
    static void stop(Process process) {
        boolean interrupted = false;
        Set<Long> groups = new java.util.HashSet<>();
        Set<ProcessHandle> tree = tree(process, groups);
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_GRACE_MS);
        while (System.nanoTime() < deadline && !tree.isEmpty()) {
            interrupted |= pause(20);
            tree = tree(process, groups);
        }
        long giveUp = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_PATIENCE_MS);
        while (!tree.isEmpty() && System.nanoTime() < giveUp) {
            tree.forEach(ProcessHandle::destroyForcibly);
            interrupted |= pause(10);
            tree = tree(process, groups);
        }
        if (interrupted) {
            Thread.currentThread().interrupt(); // the kill is finished first; the caller sees the interrupt
        }
    }

    /**
     * The live processes of the command: the process, its descendants, and every process of a group
     * it or a descendant leads (remembered in {@code groups}; never the worker's own group).
     */
    private static Set<ProcessHandle> tree(Process process, Set<Long> groups) {
        Set<ProcessHandle> out = new java.util.LinkedHashSet<>();
        if (process.isAlive()) {
            out.add(process.toHandle());
        }
        process.descendants().filter(ProcessHandle::isAlive).forEach(out::add);
        long own = groupOf(ProcessHandle.current().pid());
        for (ProcessHandle h : out) {
            long g = groupOf(h.pid());
            if (g == h.pid() && g != own) {
                groups.add(g);
            }
        }
        if (!groups.isEmpty() && Files.isDirectory(PROC)) {
            try (Stream<Path> entries = Files.list(PROC)) {
                entries.map(p -> p.getFileName().toString()).filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit))
                        .map(Long::parseLong)
                        .filter(pid -> {
                            String[] fields = stat(pid); // one read: group and state
                            return fields != null && groups.contains(Long.parseLong(fields[2])) && !exited(fields);
                        })
                        .forEach(pid -> ProcessHandle.of(pid).ifPresent(out::add));
            } catch (IOException | java.io.UncheckedIOException ignored) {
                // /proc unreadable: descendants only
            }
        }
        out.removeIf(h -> !running(h.pid()));
        return out;
    }

    /** Field 5 of /proc/<pid>/stat (the process group), or -1 when it cannot be read (gone, or no /proc). */
    static long groupOf(long pid) {
        String[] fields = stat(pid);
        return fields == null ? -1 : Long.parseLong(fields[2]);
    }

    /** Alive and not a zombie waiting for its parent (or init) to reap it. */
    private static boolean running(long pid) {
        String[] fields = stat(pid);
        if (fields == null) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        return !exited(fields);
    }

    /** State Z (a zombie waiting to be reaped) or X (dead). */
    private static boolean exited(String[] statFields) {
        return statFields[0].equals("Z") || statFields[0].equals("X");
    }

    /** The fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, ...; null when unreadable. */
    private static String[] stat(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Sleeps; true when interrupted (the flag is then clear, so the next pause sleeps again). */
    private static boolean pause(long ms) {
        try {
            Thread.sleep(ms);
            return false;
        } catch (InterruptedException e) {
            return true;
        }
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

    /**
     * The most bytes one parameter's variable ({@code PW_PARAM_<NAME>}, {@code PW_PARAMS} or
     * {@code PW_CONFIG}) takes in the environment. Linux refuses to start a program when one
     * {@code NAME=value} string is over 128 KiB (MAX_ARG_STRLEN) or all of them with the arguments
     * over ARG_MAX (a quarter of the stack limit, 2 MiB by default) with "Argument list too long";
     * these bounds keep a command startable whatever the parameters, with room for its own environment.
     */
    static final int ENV_VALUE_MAX = 32 * 1024;
    /** The most bytes all parameter variables together take in the environment. */
    static final int ENV_TOTAL_MAX = 256 * 1024;

    /**
     * The parameter variables for the environment: {@code PW_PARAMS} and {@code PW_CONFIG} (as JSON)
     * and each {@code PW_PARAM_<NAME>}, each only while it is at most {@link #ENV_VALUE_MAX} bytes and
     * all of them so far at most {@link #ENV_TOTAL_MAX}; {@code PW_PARAMS_NOT_IN_ENV} names the
     * parameters left out (comma-separated), which a command reads from {@code $PW_PARAMS_FILE}
     * (always written, with every parameter).
     */
    static Map<String, String> parameterEnv(Map<String, Object> parameters, Object config) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        long[] total = {0};
        java.util.function.BiPredicate<String, String> fits = (name, value) -> {
            long size = (long) name.length() + 1 + value.getBytes(StandardCharsets.UTF_8).length;
            if (size > ENV_VALUE_MAX || total[0] + size > ENV_TOTAL_MAX) {
                return false;
            }
            total[0] += size;
            env.put(name, value);
            return true;
        };
        List<String> left = new java.util.ArrayList<>();
        for (Map.Entry<String, Object> p : parameters.entrySet()) {
            Object v = p.getValue();
            if (!fits.test("PW_PARAM_" + envName(p.getKey()), v instanceof String s ? s : JSON.writeValueAsString(v))) {
                left.add(p.getKey());
            }
        }
        if (!fits.test("PW_PARAMS", JSON.writeValueAsString(parameters))) {
            left.add("PW_PARAMS");
        }
        if (!fits.test("PW_CONFIG", JSON.writeValueAsString(config))) {
            left.add("PW_CONFIG");
        }
        if (!left.isEmpty()) {
            env.put("PW_PARAMS_NOT_IN_ENV", String.join(",", left));
        }
        return env;
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
