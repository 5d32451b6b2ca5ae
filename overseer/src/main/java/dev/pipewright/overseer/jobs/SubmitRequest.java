package dev.pipewright.overseer.jobs;

import java.util.List;
import java.util.Map;

/**
 * A request to run a pipeline: parameter values, values of job-input data nodes, the wanted
 * outputs (empty: everything) and whether to start now or only build the job.
 */
public record SubmitRequest(Map<String, Object> parameters, Map<String, byte[]> inputs, List<String> outputs, boolean start) {
}
