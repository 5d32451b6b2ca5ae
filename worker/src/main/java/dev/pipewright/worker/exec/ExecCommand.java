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
                          Duration timeout, Set<Integer> permanentExitCodes, Set<Integer> retryableExitCodes) {
    public ExecCommand {
        permanentExitCodes = Set.copyOf(permanentExitCodes);
        retryableExitCodes = Set.copyOf(retryableExitCodes);
    }

    public ExecCommand(String name, List<String> argv, Path workdir, Map<String, String> env, Duration timeout,
                       Set<Integer> permanentExitCodes) {
        this(name, argv, workdir, env, timeout, permanentExitCodes, Set.of());
    }

    /** Whether a run that exited with this (non-zero) code may be retried. */
    public boolean retryable(int exitCode) {
        if (permanentExitCodes.contains(exitCode)) {
            return false;
        }
        return retryableExitCodes.isEmpty() || retryableExitCodes.contains(exitCode);
    }
}
