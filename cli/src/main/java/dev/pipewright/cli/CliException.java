package dev.pipewright.cli;

/**
 * A failure the command reports as one line (or several prepared lines) and an exit code:
 * {@link #FAILURE} for invalid input or a failed job, {@link #USAGE} for usage errors, missing
 * files and an unreachable server.
 */
public class CliException extends RuntimeException {
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    public static CliException failure(String message) {
        return new CliException(FAILURE, message);
    }

    public static CliException usage(String message) {
        return new CliException(USAGE, message);
    }
}
