package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A task as the API shows it: a row of {@code GET /jobs/{id}/tasks} and of a job's {@code tasks}.
 * Absent hash fields are JSON null; {@code waiting_for} (a task held at a concurrency limit),
 * {@code reused_from} (an output reused from an earlier job), {@code items} (a node that runs once
 * per item of a mapped list) and {@code cached_from} (a CACHED task: the job whose memoised result it
 * took) appear only when they apply.
 */
public record TaskRow(
        String node, String processor, String pool, String status, int attempts, String worker,
        @JsonProperty("started_at") String startedAt, @JsonProperty("ended_at") String endedAt,
        @JsonProperty("started_us") Long startedUs, @JsonProperty("ended_us") Long endedUs, String error,
        @JsonProperty("waiting_for") @JsonInclude(JsonInclude.Include.NON_NULL) String waitingFor,
        @JsonProperty("reused_from") @JsonInclude(JsonInclude.Include.NON_NULL) String reusedFrom,
        @JsonInclude(JsonInclude.Include.NON_NULL) Items items,
        @JsonProperty("cached_from") @JsonInclude(JsonInclude.Include.NON_NULL) String cachedFrom) {

    /**
     * The items of a node that runs once per item of a mapped list: how many the list has
     * ({@code count}, null until its expansion began), how many item tasks exist so far
     * ({@code written}) and how many are in each state now; the item tasks themselves
     * ({@code <node>[<i>]}) are rows of {@code GET /jobs/{id}/tasks}, not of the job view.
     */
    public record Items(Long count, long written, java.util.Map<String, Long> states) {
    }
}
