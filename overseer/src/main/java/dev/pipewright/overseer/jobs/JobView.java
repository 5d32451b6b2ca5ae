package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * A job as {@code GET /jobs/{id}} and the job listings show it. Unknown times are JSON null, not
 * left out; {@code reason}, {@code retry_of} and {@code rerun_of} appear only when the job has them, {@code tasks}
 * only on the single-job answer when asked for. {@code parameters} and {@code config.infra} are the
 * submitter's JSON as given, so they stay maps.
 */
public record JobView(
        String id, String name, @JsonProperty("run_id") String runId, String priority, String owner, Config config,
        @JsonProperty("pipeline_id") String pipelineId, @JsonProperty("pipeline_version") int pipelineVersion, String status,
        String progress, boolean finished, boolean errored, Counts counts, @JsonProperty("created_at") String createdAt,
        @JsonProperty("started_at") String startedAt, @JsonProperty("finished_at") String finishedAt,
        @JsonProperty("created_us") Long createdUs, @JsonProperty("started_us") Long startedUs,
        @JsonProperty("finished_us") Long finishedUs, @JsonProperty("last_updated_at") String lastUpdatedAt,
        @JsonProperty("duration_ms") Double durationMs, Map<String, Object> parameters, List<Object> outputs, List<Object> pruned,
        @JsonInclude(JsonInclude.Include.NON_NULL) String reason,
        @JsonProperty("retry_of") @JsonInclude(JsonInclude.Include.NON_NULL) String retryOf,
        @JsonProperty("rerun_of") @JsonInclude(JsonInclude.Include.NON_NULL) String rerunOf, String trigger,
        @JsonProperty("scheduled_for") String scheduledFor, @JsonInclude(JsonInclude.Include.NON_NULL) List<TaskRow> tasks,
        List<String> stage, @JsonProperty("expires_at") String expiresAt) {

    /**
     * What the job was submitted with besides its inputs: {@code {}}, {@code {"infra": {...}}} and/or
     * {@code {"nodes": {<node>: {<config override>}}}} (each absent when not given).
     */
    public record Config(@JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> infra,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> nodes) {
        public Config(Map<String, Object> infra) {
            this(infra, null);
        }
    }

    /** Tasks by outcome so far, and by the state they are in now. */
    public record Counts(int total, int succeeded, int failed, int skipped, int cancelled, int pending, int ready, int running,
                         @JsonProperty("retry_wait") int retryWait) {
    }

    /** The same job with its task rows and running stage. */
    JobView with(List<TaskRow> tasks, List<String> stage) {
        return new JobView(id, name, runId, priority, owner, config, pipelineId, pipelineVersion, status, progress, finished, errored,
                counts, createdAt, startedAt, finishedAt, createdUs, startedUs, finishedUs, lastUpdatedAt, durationMs, parameters,
                outputs, pruned, reason, retryOf, rerunOf, trigger, scheduledFor, tasks, stage, expiresAt);
    }
}
