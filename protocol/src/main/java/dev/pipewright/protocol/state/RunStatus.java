package dev.pipewright.protocol.state;

import java.util.Collection;

/**
 * A run's status, derived on read from the states of its jobs. The rules, in order:
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
        long waiting = 0;
        long active = 0;
        long succeeded = 0;
        long failed = 0;
        long cancelled = 0;
        for (JobState s : jobs) {
            switch (s) {
                case READY, PENDING -> waiting++;
                case RUNNING, CANCELLING -> active++;
                case SUCCESS -> succeeded++;
                case FAILED -> failed++;
                case CANCELLED -> cancelled++;
            }
        }
        return derive(waiting, active, succeeded, failed, cancelled);
    }

    /**
     * The same rules from the number of jobs in each kind of state, so a run of many jobs is judged
     * from its counters without a list of their states: {@code waiting} READY or PENDING,
     * {@code active} RUNNING or CANCELLING, and the three final states.
     */
    public static RunStatus derive(long waiting, long active, long succeeded, long failed, long cancelled) {
        if (waiting < 0 || active < 0 || succeeded < 0 || failed < 0 || cancelled < 0) {
            throw new IllegalArgumentException("negative job count: waiting " + waiting + ", active " + active + ", succeeded "
                    + succeeded + ", failed " + failed + ", cancelled " + cancelled);
        }
        long ended = succeeded + failed + cancelled;
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
