package dev.pipewright.overseer.api.view;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/** The {@code data} of the Server-Sent Events a log follower sends, besides {@code status} (a {@code JobProgress}). */
public final class LogEvents {
    private LogEvents() {
    }

    /** A {@code log} event: one line of a task's attempt ({@code at}: not for lines of older workers). */
    public record Line(String node, int attempt, String line, @JsonInclude(JsonInclude.Include.NON_NULL) String at) {
        public static Line of(String node, int attempt, String line, Long atMs) {
            return new Line(node, attempt, line, atMs == null ? null : Instant.ofEpochMilli(atMs).toString());
        }
    }

    /** The {@code end} event: the job's final status and progress, or just {@code GONE} when the job went away. */
    public record End(String status, @JsonInclude(JsonInclude.Include.NON_NULL) String progress) {
    }

    /** The {@code error} event: the stream failed once it had begun. */
    public record Failed(String message) {
    }
}
