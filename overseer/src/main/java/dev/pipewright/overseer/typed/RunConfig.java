package dev.pipewright.overseer.typed;

import dev.pipewright.protocol.branch.BranchRule;
import dev.pipewright.protocol.pipeline.NodeConfig;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's per-run configuration: each process node's effective config, its pipeline
 * {@code config} with {@code ${parameter}}s resolved and the submit's override
 * ({@code config.nodes.<node>}) merged in (RFC 7386), checked against the node's
 * {@code configSchema}. Only nodes whose config differs from the pipeline's, or that have a config
 * schema, are looked at beyond a scan for placeholders.
 */
public final class RunConfig {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private RunConfig() {
    }

    /**
     * The effective config of every node in {@code run} whose config is not the pipeline's as it is
     * (the others keep theirs); problems at {@code config.nodes.<node>} (an unknown node, a schema
     * violation) or at the placeholder's place in {@code processNodes.<node>.config}.
     */
    public static Map<String, Map<String, Object>> effective(Pipeline pipeline, List<String> run, Map<String, Object> params,
                                                             Map<String, Map<String, Object>> overrides, List<Problem> problems) {
        overrides.forEach((node, override) -> {
            if (!pipeline.processNodes().containsKey(node)) {
                problems.add(new Problem("config.nodes." + node, "unknown process node '" + node + "'; the pipeline has "
                        + pipeline.processNodes().keySet()));
            }
        });
        Map<String, Map<String, Object>> out = new HashMap<>();
        for (String name : run) {
            ProcessNode node = pipeline.processNodes().get(name);
            Map<String, Object> config = NodeConfig.resolve(BranchRule.withoutRule(node), params, "processNodes." + name + ".config", problems);
            config = BranchRule.withRule(node, config);
            Map<String, Object> override = overrides.get(name);
            if (override != null) {
                config = NodeConfig.merge(config, override);
            }
            if (node.configSchema() != null) {
                TypedData.checkConfig(node.configSchema(), config, "config.nodes." + name, problems);
            }
            if (config != node.config()) {
                out.put(name, config);
            }
        }
        return out;
    }

    /**
     * The overrides are stored on the job and copied into each overridden task's spec: together they
     * may be at most {@code max} bytes as JSON ({@code PW_MAX_PARAMS_BYTES}, the parameters' cap).
     */
    public static List<Problem> size(Map<String, Map<String, Object>> overrides, int max) {
        if (overrides.isEmpty()) {
            return List.of();
        }
        int size;
        try {
            size = JSON.writeValueAsBytes(overrides).length;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return size <= max ? List.of() : List.of(new Problem("config.nodes", "the overrides are " + size
                + " bytes as JSON; a job's may be at most " + max + " (PW_MAX_PARAMS_BYTES): pass data as a job input instead"));
    }
}
