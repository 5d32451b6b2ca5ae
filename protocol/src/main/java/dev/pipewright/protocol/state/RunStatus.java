package dev.pipewright.protocol.state;

import java.util.Collection;

/**
 * A run's status, derived on read from the states of its jobs (seed 002). The rules, in order:
 * <ol>
 *   <li>no jobs, or every job built but not started (READY/PENDING) → {@link #PENDING};</li>
 *   <li>any job RUNNING or CANCELLING, or some jobs ended while others wait to start → {@link #RUNNING};</li>
 *   <li>every job ended: all SUCCESS → {@link #COMPLETED}; all CANCELLED → {@link #CANCELLED};
 *       some SUCCESS and the others FAILED or CANCELLED → {@link #PARTIALLY_COMPLETED};
 *       none SUCCESS and at least one FAILED → {@link #ERRORED}.</li>
 * </ol>
 */
public enum RunStatus {
    PENDING, RUNNING, COMPLETED, PARTIALLY_COMPLETED, ERRORED, CANCELLED;

    public static RunStatus derive(Collection<JobState> jobs) {
        int waiting = 0;
        int active = 0;
        int succeeded = 0;
        int failed = 0;
        int cancelled = 0;
        for (JobState s : jobs) {
            switch (s) {
                case READY, PENDING -> waiting++;
                case RUNNING, CANCELLING -> active++;
                case SUCCESS -> succeeded++;
                case FAILED -> failed++;
                case CANCELLED -> cancelled++;
            }
        }
        int ended = succeeded + failed + cancelled;
        if (active > 0) {
            return RUNNING;
        }
        if (ended == 0) {
            return PENDING;
        }
        if (waiting > 0) {
            return RUNNING;
        }
        if (succeeded == ended) {
            return COMPLETED;
        }
        if (cancelled == ended) {
            return CANCELLED;
        }
        return succeeded > 0 ? PARTIALLY_COMPLETED : ERRORED;
    }
}
