package dev.pipewright.worker.exec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An external command an operator registered under a processor name: its argv (never a shell
 * line, never text from a pipeline), working directory, extra environment, an upper bound on run
 * time (null: none) and how a non-zero exit code maps to a failure: codes in
 * {@code permanentExitCodes} fail the task for good; when {@code retryableExitCodes} is not empty,
 * only the codes listed there are retryable; otherwise every other code is.
 */
public record ExecCommand(String name, List<String> argv, Path workdir, Map<String, String> env,
                          Duration timeout, Set<Integer> permanentExitCodes, Set<Integer> retryableExitCodes,
                          boolean deterministic) {
    public ExecCommand {
        permanentExitCodes = Set.copyOf(permanentExitCodes);
        retryableExitCodes = Set.copyOf(retryableExitCodes);
    }

    public ExecCommand(String name, List<String> argv, Path workdir, Map<String, String> env, Duration timeout,
                       Set<Integer> permanentExitCodes) {
        this(name, argv, workdir, env, timeout, permanentExitCodes, Set.of(), true);
    }

    /** A deterministic command ({@code deterministic: false} in the registry says otherwise). */
    public ExecCommand(String name, List<String> argv, Path workdir, Map<String, String> env, Duration timeout,
                       Set<Integer> permanentExitCodes, Set<Integer> retryableExitCodes) {
        this(name, argv, workdir, env, timeout, permanentExitCodes, retryableExitCodes, true);
    }

    /**
     * The version a memoised result of this command is keyed by: SHA-256 of its argv and extra
     * environment and of the contents of every argument that names a file (the script it runs), so
     * an edit of the script or the registration makes earlier results misses.
     */
    public String version() {
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String a : argv) {
            md.update(a.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update((byte) 0);
            Path file = workdir == null ? Path.of(a) : workdir.resolve(a);
            if (a.length() < 4096 && java.nio.file.Files.isRegularFile(file)) {
                try {
                    md.update(java.nio.file.Files.readAllBytes(file));
                } catch (java.io.IOException e) {
                    md.update(("unreadable " + e.getMessage()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                md.update((byte) 0);
            }
        }
        new java.util.TreeMap<>(env).forEach((k, v) -> md.update((k + "=" + v + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return "exec:" + java.util.HexFormat.of().formatHex(md.digest());
    }

    /** Whether a run that exited with this (non-zero) code may be retried. */
    public boolean retryable(int exitCode) {
        if (permanentExitCodes.contains(exitCode)) {
            return false;
        }
        return retryableExitCodes.isEmpty() || retryableExitCodes.contains(exitCode);
    }
}
