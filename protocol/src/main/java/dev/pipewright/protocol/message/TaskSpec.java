package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;
import java.util.Map;

/**
 * What a worker needs to run one task, stored with the task when the job is created and returned
 * by the claim: the processor, its config, the input and output data nodes in declared order and
 * the per-attempt timeout (0: none). Retry back-off is not here: the scripts compute it from the
 * task's own fields.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskSpec(
        String processor,
        Map<String, Object> config,
        List<String> inputs,
        List<String> outputs,
        long timeoutMs) {
}
