package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.pipeline.Priority;

import java.util.List;
import java.util.Map;

/**
 * A request to run a pipeline: parameter values, values of job-input data nodes, the wanted
 * outputs (empty: everything) and whether to start now or only build the job. A re-run from
 * failure names the earlier job ({@code reuseFrom}) and the process nodes whose outputs it
 * reuses ({@code reuse}); their outputs are then among {@code inputs}. The priority orders its
 * tasks against other jobs' waiting for the same pool.
 */
public record SubmitRequest(Map<String, Object> parameters, Map<String, byte[]> inputs, List<String> outputs, boolean start,
                            String reuseFrom, java.util.Set<String> reuse, Priority priority) {
    public SubmitRequest(Map<String, Object> parameters, Map<String, byte[]> inputs, List<String> outputs, boolean start) {
        this(parameters, inputs, outputs, start, null, java.util.Set.of(), Priority.MEDIUM);
    }

    public SubmitRequest withPriority(Priority p) {
        return new SubmitRequest(parameters, inputs, outputs, start, reuseFrom, reuse, p);
    }
}
