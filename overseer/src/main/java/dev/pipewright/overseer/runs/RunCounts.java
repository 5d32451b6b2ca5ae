package dev.pipewright.overseer.runs;

import dev.pipewright.protocol.state.JobState;
import dev.pipewright.protocol.state.RunStatus;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's counters: its jobs by kind of state and the latest time one of them changed (µs, Redis's
 * clock; 0 when none did). Built from the run's settled tallies of ended jobs plus the jobs read in
 * its open set that have not ended.
 */
public record RunCounts(long waiting, long active, long succeeded, long failed, long cancelled, long lastUs) {
    public static final RunCounts NONE = new RunCounts(0, 0, 0, 0, 0, 0);

    /** A job read from the run's open set: its state and the latest of its created, started and finished times (µs). */
    public record OpenJob(String id, JobState state, long lastUs) {
    }

    public long jobs() {
        return waiting + active + succeeded + failed + cancelled;
    }

    public RunStatus status() {
        return RunStatus.derive(waiting, active, succeeded, failed, cancelled);
    }

    /**
     * The tallies as read ({@code <ns>:{run:<id>}:ended}) plus the jobs read open and not ended, when
     * none of the open jobs had ended: a job ends before it is settled and never ends twice, so none
     * of them can be in tallies read before their states were.
     */
    public static RunCounts of(Map<String, String> ended, List<OpenJob> open) {
        return combine(new long[] {number(ended.get("SUCCESS")), number(ended.get("FAILED")), number(ended.get("CANCELLED")),
                number(ended.get("last"))}, open, Set.of());
    }

    /**
     * The settle script's answer (succeeded, failed, cancelled, last µs, then the 1-based positions
     * in {@code open} of jobs another reader settled after they were read) plus the jobs read open
     * and not ended. A job settled meanwhile is in the tallies already, so it is not counted again.
     */
    public static RunCounts ofSettled(List<Long> reply, List<OpenJob> open) {
        if (reply.size() < 4) {
            throw new IllegalStateException("a run's settle answered " + reply);
        }
        Set<Integer> settledMeanwhile = new HashSet<>();
        for (int i = 4; i < reply.size(); i++) {
            settledMeanwhile.add(Math.toIntExact(reply.get(i)) - 1);
        }
        return combine(new long[] {reply.get(0), reply.get(1), reply.get(2), reply.get(3)}, open, settledMeanwhile);
    }

    private static RunCounts combine(long[] tallies, List<OpenJob> open, Set<Integer> skip) {
        long waiting = 0;
        long active = 0;
        long last = tallies[3];
        for (int i = 0; i < open.size(); i++) {
            if (skip.contains(i)) {
                continue;
            }
            OpenJob j = open.get(i);
            switch (j.state()) {
                case READY, PENDING -> waiting++;
                case RUNNING, CANCELLING -> active++;
                default -> throw new IllegalArgumentException("job " + j.id() + " has ended (" + j.state() + "): it is settled, not open");
            }
            last = Math.max(last, j.lastUs());
        }
        return new RunCounts(waiting, active, tallies[0], tallies[1], tallies[2], last);
    }

    private static long number(String text) {
        return text == null ? 0 : Long.parseLong(text);
    }
}
