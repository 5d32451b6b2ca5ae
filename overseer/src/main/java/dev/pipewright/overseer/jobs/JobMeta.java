package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.job.Infra;

import java.time.OffsetDateTime;

/**
 * What a job carries besides its pipeline inputs, stored on the job hash: a display name, the run
 * it belongs to (null: none), its priority ({@code low|medium|high}, read by the engine), its
 * owner, the resources it asks for ({@code infra}, null: none) and, for a job its pipeline's
 * schedule fired, the cron time it stands for ({@code scheduledFor}, in the schedule's zone; null:
 * submitted by someone, trigger {@code manual}).
 */
public record JobMeta(String name, String runId, String priority, String owner, Infra infra, OffsetDateTime scheduledFor) {
    public static final JobMeta NONE = new JobMeta(null, null, null, null, null, null);

    /** A job someone submitted (trigger {@code manual}). */
    public JobMeta(String name, String runId, String priority, String owner, Infra infra) {
        this(name, runId, priority, owner, infra, null);
    }

    /** {@code schedule} when a schedule fired the job, else {@code manual}. */
    public String trigger() {
        return scheduledFor == null ? "manual" : "schedule";
    }
}
