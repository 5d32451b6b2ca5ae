package dev.pipewright.protocol.state;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The life of a task inside a job. The Lua scripts that move tasks between states follow
 * {@link #ALLOWED}; {@code TaskStateTransitionsTest} checks the scripts against it.
 */
public enum TaskState {
    /** Waiting for its parents. */
    PENDING,
    /** All inputs available; a dispatch is in the outbox or on the queue. */
    READY,
    /** Claimed by a worker holding a lease. */
    RUNNING,
    /** An attempt failed or its worker was lost; a retry is due on a durable timer. */
    RETRY_WAIT,
    SUCCESS,
    FAILED,
    TIMED_OUT,
    CANCELLED,
    /** Never ran because an upstream task did not succeed. */
    SKIPPED,
    /**
     * Never ran: its outputs are a memoised result of an earlier job (same cache key). Created in this
     * state at submit when the key is known then, or reached from RUNNING when the worker that claimed
     * it found the result; counts as succeeded for its children and its job.
     */
    CACHED;

    public static final Map<TaskState, Set<TaskState>> ALLOWED = Map.of(
            PENDING, EnumSet.of(READY, SKIPPED, CANCELLED),
            READY, EnumSet.of(RUNNING, READY, FAILED, TIMED_OUT, CANCELLED),
            RUNNING, EnumSet.of(SUCCESS, FAILED, TIMED_OUT, RETRY_WAIT, READY, CANCELLED, CACHED),
            RETRY_WAIT, EnumSet.of(READY, CANCELLED, FAILED),
            SUCCESS, EnumSet.noneOf(TaskState.class),
            FAILED, EnumSet.noneOf(TaskState.class),
            TIMED_OUT, EnumSet.noneOf(TaskState.class),
            CANCELLED, EnumSet.noneOf(TaskState.class),
            SKIPPED, EnumSet.noneOf(TaskState.class),
            CACHED, EnumSet.noneOf(TaskState.class));

    public boolean isTerminal() {
        return ALLOWED.get(this).isEmpty();
    }

    public boolean canMoveTo(TaskState to) {
        return ALLOWED.get(this).contains(to);
    }

    public static void checkTransition(TaskState from, TaskState to) {
        if (!from.canMoveTo(to)) {
            throw new IllegalStateTransitionException(from.name(), to.name());
        }
    }
}
