package dev.pipewright.overseer.pipelines;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.List;

/** How the pipelines API shows stored pipelines: created, listed, their versions, deleted. Times are ISO-8601 UTC. */
public final class PipelineViews {
    private PipelineViews() {
    }

    /** {@code POST /pipelines}: the id, the version stored and the pipeline's name as {@code GET} shows it. */
    public record Created(String id, int version, String name) {
    }

    /** A pipeline of {@code GET /pipelines}. */
    public record Row(String id, @JsonProperty("latest_version") int latestVersion, String owner,
                      @JsonProperty("created_at") String createdAt, @JsonProperty("updated_at") String updatedAt) {
        public static Row of(PipelineStore.Summary s) {
            return new Row(s.id(), s.latestVersion(), s.owner(), Instant.ofEpochMilli(s.createdAt()).toString(),
                    Instant.ofEpochMilli(s.updatedAt()).toString());
        }
    }

    /** {@code GET /pipelines/{id}/versions}: every version still stored, oldest first. */
    public record Versions(String id, @JsonProperty("latest_version") int latestVersion, List<Version> versions) {
    }

    public record Version(int version, String owner, @JsonProperty("created_at") String createdAt) {
        public static Version of(PipelineStore.Version v) {
            return new Version(v.version(), v.owner(), Instant.ofEpochMilli(v.createdAt()).toString());
        }
    }

    /** {@code DELETE /pipelines/{id}}: how many versions went, and the latest of them. */
    public record Deleted(String id, boolean deleted, int versions, @JsonProperty("latest_version") int latestVersion) {
    }
}
