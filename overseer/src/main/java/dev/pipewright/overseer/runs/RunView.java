package dev.pipewright.overseer.runs;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * A run as the API shows it: its stored fields, then the status and counters derived from its
 * jobs. {@code tags} and {@code domain_context} are the creator's own names and JSON, so they stay maps.
 */
public record RunView(
        String id, String name, @JsonProperty("pipeline_id") String pipelineId,
        @JsonProperty("pipeline_version") int pipelineVersion, String priority, Map<String, String> tags,
        @JsonProperty("domain_context") Map<String, Object> domainContext, String owner, String status,
        @JsonProperty("num_jobs") long numJobs, @JsonProperty("num_successful_jobs") long numSuccessfulJobs,
        @JsonProperty("num_failed_jobs") long numFailedJobs, @JsonProperty("num_cancelled_jobs") long numCancelledJobs,
        @JsonProperty("num_running_jobs") long numRunningJobs, @JsonProperty("created_at") String createdAt,
        @JsonProperty("last_updated_at") String lastUpdatedAt) {
}
