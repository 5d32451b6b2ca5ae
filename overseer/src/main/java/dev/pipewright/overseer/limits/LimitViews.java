package dev.pipewright.overseer.limits;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the limits endpoints show concurrency limits. */
public final class LimitViews {
    private LimitViews() {
    }

    /** A limit with its slots in use and the tasks or jobs waiting for one. */
    public record Row(String kind, String name, int max, @JsonProperty("in_use") long inUse, long waiting) {
    }

    /** A limit set; {@code dispatched}: the tasks the change let through at once. */
    public record Applied(String kind, String name, int max, int dispatched) {
    }

    /** A limit removed; {@code dispatched}: the tasks the change let through at once. */
    public record Removed(String kind, String name, boolean removed, int dispatched) {
    }
}
