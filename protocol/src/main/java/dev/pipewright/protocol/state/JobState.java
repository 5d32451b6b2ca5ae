package dev.pipewright.protocol.state;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** The life of a job: Ready/Pending → Running → Success/Failed, plus Cancelled. */
public enum JobState {
    /** Built but not started (build-then-run). */
    READY,
    /** Started but waiting for a slot of its pipeline's running-jobs limit. */
    PENDING,
    RUNNING,
    /** Cancelled or past its deadline: waiting for running attempts to stop. */
    CANCELLING,
    SUCCESS,
    FAILED,
    CANCELLED;

    public static final Map<JobState, Set<JobState>> ALLOWED = Map.of(
            READY, EnumSet.of(RUNNING, PENDING, CANCELLING, CANCELLED),
            PENDING, EnumSet.of(RUNNING, CANCELLING, CANCELLED),
            RUNNING, EnumSet.of(SUCCESS, FAILED, CANCELLING),
            CANCELLING, EnumSet.of(CANCELLED, FAILED),
            SUCCESS, EnumSet.noneOf(JobState.class),
            FAILED, EnumSet.noneOf(JobState.class),
            CANCELLED, EnumSet.noneOf(JobState.class));

    public boolean isTerminal() {
        return ALLOWED.get(this).isEmpty();
    }

    public boolean canMoveTo(JobState to) {
        return ALLOWED.get(this).contains(to);
    }

    public static void checkTransition(JobState from, JobState to) {
        if (!from.canMoveTo(to)) {
            throw new IllegalStateTransitionException(from.name(), to.name());
        }
    }
}
