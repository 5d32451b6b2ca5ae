package dev.pipewright.infra.state;

import java.time.Duration;
import java.util.List;

/** What the claim script answered for one attempt. */
public sealed interface ClaimReply {
    /**
     * The attempt holds the task now: {@code spec} and {@code params} as stored (JSON), the attempt
     * number, its lease, how long the task waited since it became READY, the job's {@code infra}
     * (JSON, empty when it asks for nothing) and the values of the task's inputs in declared order.
     */
    record Claimed(byte[] spec, byte[] params, int attempt, Duration lease, Duration queueWait, String infra,
                   List<byte[]> inputs) implements ClaimReply {
    }

    /** Claimed, but an input has no value: the attempt must fail for good. */
    record MissingInput(String dataNode, String processor) implements ClaimReply {
    }

    /** A duplicate or superseded message; the task is in {@code state} (or its job is). */
    record Stale(String state) implements ClaimReply {
    }
}
