package dev.pipewright.worker.store;

import dev.pipewright.protocol.message.TaskSpec;

import java.util.Map;

/** The answer to a claim. */
public sealed interface Claim {
    /** The attempt is ours: run it. {@code infra}: what the job asks of a worker ({@code config.infra}; null: nothing). */
    record Claimed(TaskSpec spec, Map<String, Object> parameters, int attempt, java.time.Duration lease,
                   java.time.Duration queueWait, Map<String, byte[]> inputs, dev.pipewright.protocol.job.Infra infra) implements Claim {
    }

    /** Claimed, but an input has no value: fail the attempt for good. */
    record MissingInput(String dataNode, String processor) implements Claim {
    }

    /** A duplicate or superseded message; the task is in {@code state}. */
    record Stale(String state) implements Claim {
    }
}
