package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.pipewright.protocol.cache.CacheSpec;

import java.util.List;
import java.util.Map;

/**
 * What a worker needs to run one task, stored with the task when the job is created and returned
 * by the claim: the processor, its config, the input and output data nodes in declared order and
 * the per-attempt timeout (0: none), and for a node that runs an uploaded module the pinned module
 * ({@code module}; absent otherwise, so a plain task's spec is as small as before). Retry back-off
 * is not here: the scripts compute it from the task's own fields. {@code config} is the node's
 * effective config for the job (parameters resolved, the submit's override merged in). The other
 * parts are absent for a node that does not use them, so an ordinary spec is as small as before:
 * {@code optionalOutputs} ({@code optional}) are the outputs declared {@code optional: true}, which
 * the processor may leave unproduced; {@code outputTypes} the declared type and schema of each
 * typed output; {@code cache} what the cache key of a node with {@code cache:} needs.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskSpec(
        String processor,
        Map<String, Object> config,
        List<String> inputs,
        List<String> outputs,
        long timeoutMs,
        @JsonInclude(JsonInclude.Include.NON_NULL) ModuleRef module,
        @JsonProperty("optional") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> optionalOutputs,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, OutputType> outputTypes,
        @JsonInclude(JsonInclude.Include.NON_NULL) CacheSpec cache) {

    public TaskSpec {
        optionalOutputs = optionalOutputs == null ? List.of() : List.copyOf(optionalOutputs);
    }

    public TaskSpec(String processor, Map<String, Object> config, List<String> inputs, List<String> outputs, long timeoutMs) {
        this(processor, config, inputs, outputs, timeoutMs, null, null, null, null);
    }

    public TaskSpec(String processor, Map<String, Object> config, List<String> inputs, List<String> outputs, long timeoutMs,
                    ModuleRef module) {
        this(processor, config, inputs, outputs, timeoutMs, module, null, null, null);
    }

    /** This spec with the memoisation pins of a node with {@code cache:} (see {@link CacheSpec}). */
    public TaskSpec withCache(CacheSpec cache) {
        return new TaskSpec(processor, config, inputs, outputs, timeoutMs, module, optionalOutputs, outputTypes, cache);
    }
}
