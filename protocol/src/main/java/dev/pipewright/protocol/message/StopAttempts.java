package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonTypeName;

/**
 * Broadcast to every worker: stop the running attempts of {@code job} — all of them, or only
 * {@code node}'s, or only {@code attempt} (null fields match everything). The stopped attempt's
 * commit is then refused or recorded as stopped; the message itself changes no state.
 */
@JsonTypeName("stop")
public record StopAttempts(int v, String job, String node, String attempt, String reason) implements BusMessage {
    public static final int VERSION = 1;

    public boolean matches(String job, String node, String attempt) {
        return this.job.equals(job) && (this.node == null || this.node.equals(node))
                && (this.attempt == null || this.attempt.equals(attempt));
    }
}
