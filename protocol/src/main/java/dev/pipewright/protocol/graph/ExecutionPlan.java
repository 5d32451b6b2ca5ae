package dev.pipewright.protocol.graph;

import java.util.List;
import java.util.Map;

/**
 * What one job runs: {@code run} in execution order, {@code pruned} nodes that lead to no wanted
 * output, the job inputs the run reads, and per process node the inputs that will have no value.
 */
public record ExecutionPlan(List<String> run, List<String> pruned, List<String> jobInputs, Map<String, List<String>> missing) {
    public boolean runnable() {
        return missing.isEmpty() && !run.isEmpty();
    }
}
