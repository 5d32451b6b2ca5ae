package dev.pipewright.worker.processor;

/**
 * A processor's way to fail an attempt on purpose. {@code retryable == false} fails the task for
 * good whatever its retry policy; any other exception is a retryable failure.
 */
public class TaskFailure extends Exception {
    private final String type;
    private final boolean retryable;

    public TaskFailure(String type, String message, boolean retryable) {
        super(message);
        this.type = type;
        this.retryable = retryable;
    }

    public static TaskFailure retryable(String message) {
        return new TaskFailure("TaskFailure", message, true);
    }

    public static TaskFailure permanent(String message) {
        return new TaskFailure("TaskFailure", message, false);
    }

    public String type() {
        return type;
    }

    public boolean retryable() {
        return retryable;
    }
}
