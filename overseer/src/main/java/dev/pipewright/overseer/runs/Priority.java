package dev.pipewright.overseer.runs;

import java.util.List;

/** A run's (and its jobs') priority as the API names it; stored on each job hash as field {@code priority}. */
public enum Priority {
    LOW, MEDIUM, HIGH;

    public static final List<String> NAMES = List.of("low", "medium", "high");
    /** Seed 002: a run without a priority is {@code low}. */
    public static final String RUN_DEFAULT = "low";
    /** A job submitted straight to a pipeline, outside any run. */
    public static final String JOB_DEFAULT = "medium";

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
