package dev.pipewright.overseer.api.view;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.pipewright.overseer.schedule.ScheduleView;

import java.util.Set;

/**
 * {@code GET /pipelines/{id}}: one version of a pipeline with its source, what the pipeline
 * record says of it (latest version, owner, last update; null when that record is gone), and the
 * pipeline's schedule (null: none), and how long this version's ended jobs are kept (its {@code retention}; null: the
 * installation's {@code PW_JOB_RETENTION}). Here and not in {@code pipelines}, which the schedule package
 * depends on: the answer joins the two.
 */
public record PipelineDetail(
        String id, int version, String name, String description, @JsonProperty("created_at") String createdAt,
        @JsonProperty("latest_version") int latestVersion, String owner, @JsonProperty("updated_at") String updatedAt,
        @JsonProperty("data_nodes") Set<String> dataNodes, @JsonProperty("process_nodes") Set<String> processNodes,
        Set<String> parameters, String source, ScheduleView schedule, String retention) {
}
