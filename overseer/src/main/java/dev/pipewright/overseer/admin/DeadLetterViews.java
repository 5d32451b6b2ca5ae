package dev.pipewright.overseer.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * What the dead-letter endpoints answer. A dead letter itself is shown as it was recorded (the
 * consumer's JSON, read back), so it stays a {@link JsonNode}.
 */
public final class DeadLetterViews {
    private DeadLetterViews() {
    }

    /** Matching records, newest first, up to the limit; {@code total} counts every match. */
    public record Listing(int total, @JsonProperty("dead_letters") List<JsonNode> deadLetters) {
    }

    /** A replay: how many records matched and were replayed, and what was done with each. */
    public record Replay(@JsonProperty("dry_run") boolean dryRun, int matched, int replayed, List<Replayed> results) {
    }

    /**
     * One record of a replay: {@code action} is {@code rerun}, {@code skip} or {@code error};
     * {@code new_job} only when a re-run was started.
     */
    public record Replayed(String id, String job, String node, String action,
                           @JsonProperty("new_job") @JsonInclude(JsonInclude.Include.NON_NULL) String newJob, String detail) {
    }

    /** A purge: records matched and deleted, messages purged off the queue itself, and the records' ids. */
    public record Purge(@JsonProperty("dry_run") boolean dryRun, int matched, long purged,
                        @JsonProperty("queue_messages_purged") long queueMessagesPurged, List<String> ids) {
    }
}
