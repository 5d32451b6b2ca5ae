package dev.pipewright.protocol.message;

import java.util.List;
import java.util.Map;

/**
 * What a worker needs to run one task, stored with the task when the job is created and returned
 * by the claim: the processor, its config, the input and output data nodes in declared order, the
 * retry back-off and the per-attempt timeout (0: none).
 */
public record TaskSpec(
        String processor,
        Map<String, Object> config,
        List<String> inputs,
        List<String> outputs,
        String backoff,
        long retryInitialMs,
        long retryMaxDelayMs,
        double retryJitter,
        long timeoutMs) {
}
