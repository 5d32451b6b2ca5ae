package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A task as the API shows it: a row of {@code GET /jobs/{id}/tasks} and of a job's {@code tasks}.
 * Absent hash fields are JSON null; {@code waiting_for} (a task held at a concurrency limit) and
 * {@code reused_from} (an output reused from an earlier job) appear only when they apply, like
 * {@code cached_from} (a CACHED task: the job whose memoised result it took).
 */
public record TaskRow(
        String node, String processor, String pool, String status, int attempts, String worker,
        @JsonProperty("started_at") String startedAt, @JsonProperty("ended_at") String endedAt,
        @JsonProperty("started_us") Long startedUs, @JsonProperty("ended_us") Long endedUs, String error,
        @JsonProperty("waiting_for") @JsonInclude(JsonInclude.Include.NON_NULL) String waitingFor,
        @JsonProperty("reused_from") @JsonInclude(JsonInclude.Include.NON_NULL) String reusedFrom,
        @JsonProperty("cached_from") @JsonInclude(JsonInclude.Include.NON_NULL) String cachedFrom) {
}
