package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.job.Infra;

/**
 * What a job carries besides its pipeline inputs, stored on the job hash: a display name, the run
 * it belongs to (null: none), its priority ({@code low|medium|high}, read by the engine), its
 * owner and the resources it asks for ({@code infra}, null: none).
 */
public record JobMeta(String name, String runId, String priority, String owner, Infra infra) {
    public static final JobMeta NONE = new JobMeta(null, null, null, null, null);
}
