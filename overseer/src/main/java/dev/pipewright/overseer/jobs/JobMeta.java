package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.pipeline.Priority;

import java.time.OffsetDateTime;

/**
 * What a job carries besides its pipeline inputs, stored on the job hash: a display name, the run
 * it belongs to (null: none), its priority (null: medium), its
 * owner, the resources it asks for ({@code infra}, null: none) and, for a job its pipeline's
 * schedule fired, the cron time it stands for ({@code scheduledFor}, in the schedule's zone; null:
 * submitted by someone, trigger {@code manual}), and the {@code Idempotency-Key} record that created it
 * ({@code idempotency}, {@code <owner>:<key>}; null: none), freed when the job is removed; {@code rerunOf}: the
 * ended job this one runs again from scratch ({@code POST /jobs/{id}/run}; null: none).
 */
public record JobMeta(String name, String runId, Priority priority, String owner, Infra infra, OffsetDateTime scheduledFor,
                      String idempotency, String rerunOf) {
    /** Nothing set: built up with the {@code with…} methods. */
    public static final JobMeta NONE = new JobMeta(null, null, null, null, null, null, null, null);

    public JobMeta withName(String name) {
        return new JobMeta(name, runId, priority, owner, infra, scheduledFor, idempotency, rerunOf);
    }

    public JobMeta withRun(String runId) {
        return new JobMeta(name, runId, priority, owner, infra, scheduledFor, idempotency, rerunOf);
    }

    public JobMeta withPriority(Priority priority) {
        return new JobMeta(name, runId, priority, owner, infra, scheduledFor, idempotency, rerunOf);
    }

    public JobMeta withOwner(String owner) {
        return new JobMeta(name, runId, priority, owner, infra, scheduledFor, idempotency, rerunOf);
    }

    public JobMeta withInfra(Infra infra) {
        return new JobMeta(name, runId, priority, owner, infra, scheduledFor, idempotency, rerunOf);
    }

    public JobMeta withScheduledFor(OffsetDateTime scheduledFor) {
        return new JobMeta(name, runId, priority, owner, infra, scheduledFor, idempotency, rerunOf);
    }

    public JobMeta withIdempotency(String idempotency) {
        return new JobMeta(name, runId, priority, owner, infra, scheduledFor, idempotency, rerunOf);
    }

    public JobMeta withRerunOf(String rerunOf) {
        return new JobMeta(name, runId, priority, owner, infra, scheduledFor, idempotency, rerunOf);
    }

    /** The priority the job runs at: {@code medium} when none was given. */
    public Priority priorityOrDefault() {
        return priority == null ? Priority.MEDIUM : priority;
    }

    /** {@code schedule} when a schedule fired the job, else {@code manual}. */
    public String trigger() {
        return scheduledFor == null ? "manual" : "schedule";
    }
}
