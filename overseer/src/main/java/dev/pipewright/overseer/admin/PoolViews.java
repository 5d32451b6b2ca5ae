package dev.pipewright.overseer.admin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.List;

/** How the pool endpoints show pools: listed, paused or resumed, drained. */
public final class PoolViews {
    private PoolViews() {
    }

    /** A pool of {@code GET /admin/pools}: whether it is paused (since when) and the live workers serving it. */
    public record Row(String pool, boolean paused, @JsonProperty("paused_at") String pausedAt, List<String> workers) {
    }

    /**
     * A pool after a pause or resume; {@code broadcast} false: workers apply the change at their
     * next heartbeat instead of at once.
     */
    public record State(String pool, boolean paused, @JsonProperty("paused_at") String pausedAt, boolean broadcast) {
    }

    /** What a drain waited for and what remains when the time was up. */
    public record Drain(String pool, boolean paused, boolean drained, @JsonProperty("waited_ms") long waitedMs,
                        @JsonProperty("in_flight") int inFlight, int unacked,
                        @JsonProperty("remaining_workers") List<Remaining> remainingWorkers) {
    }

    /** A worker of the pool not drained yet: whether it applied the pause, and what it still runs or holds. */
    public record Remaining(String id, boolean paused, @JsonProperty("in_flight") int inFlight, int unacked) {
    }

    static String time(Long epochMs) {
        return epochMs == null ? null : Instant.ofEpochMilli(epochMs).toString();
    }
}
