package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pipewright.protocol.cache.CacheSpec;

import java.util.List;
import java.util.Map;

/**
 * What a worker needs to run one task, stored with the task when the job is created and returned
 * by the claim: the processor, its config, the input and output data nodes in declared order and
 * the per-attempt timeout (0: none), and for a node that runs an uploaded module the pinned module
 * ({@code module}; absent otherwise, so a plain task's spec is as small as before), and for a node
 * with {@code cache:} what its cache key needs ({@code cache}; likewise absent otherwise). Retry back-off is not here: the scripts compute it from the
 * task's own fields.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskSpec(
        String processor,
        Map<String, Object> config,
        List<String> inputs,
        List<String> outputs,
        long timeoutMs,
        @JsonInclude(JsonInclude.Include.NON_NULL) ModuleRef module,
        @JsonInclude(JsonInclude.Include.NON_NULL) CacheSpec cache) {

    public TaskSpec(String processor, Map<String, Object> config, List<String> inputs, List<String> outputs, long timeoutMs) {
        this(processor, config, inputs, outputs, timeoutMs, null, null);
    }

    public TaskSpec(String processor, Map<String, Object> config, List<String> inputs, List<String> outputs, long timeoutMs,
                    ModuleRef module) {
        this(processor, config, inputs, outputs, timeoutMs, module, null);
    }

    /** This spec with the memoisation pins of a node with {@code cache:} (see {@link CacheSpec}). */
    public TaskSpec withCache(CacheSpec cache) {
        return new TaskSpec(processor, config, inputs, outputs, timeoutMs, module, cache);
    }
}
