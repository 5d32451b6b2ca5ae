package dev.pipewright.worker.exec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An external command an operator registered under a processor name: its argv (never a shell
 * line, never text from a pipeline), working directory, extra environment, an upper bound on run
 * time (null: none) and the exit codes that fail the task for good.
 */
public record ExecCommand(String name, List<String> argv, Path workdir, Map<String, String> env,
                          Duration timeout, Set<Integer> permanentExitCodes) {
}
