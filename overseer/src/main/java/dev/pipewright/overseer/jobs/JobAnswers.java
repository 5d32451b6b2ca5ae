package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** The short answers of the job commands: submit, start, cancel, retry and delete. */
public final class JobAnswers {
    private JobAnswers() {
    }

    /** A job accepted (or replayed for the same idempotency key); {@code run_id} only for a job of a run. */
    public record Accepted(String id, String status, @JsonProperty("run_id") @JsonInclude(JsonInclude.Include.NON_NULL) String runId) {
    }

    /**
     * {@code started} false: the job had been started already. {@code rerun_of} only when {@code /run}
     * of an ended job started a new job ({@code id}) from it.
     */
    public record Started(String id, String status, boolean started,
                          @JsonProperty("rerun_of") @JsonInclude(JsonInclude.Include.NON_NULL) String rerunOf) {
        public Started(String id, String status, boolean started) {
            this(id, status, started, null);
        }
    }

    public record Cancelled(String id, String status) {
    }

    /** The new job of a retry, and the job it retries. */
    public record Retried(String id, String status, @JsonProperty("retry_of") String retryOf) {
    }

    /** An ended job removed at once. */
    public record Deleted(String id, boolean deleted) {
    }
}
