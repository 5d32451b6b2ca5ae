package dev.pipewright.protocol.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A validated pipeline definition. Maps keep declaration order. {@code deadline} bounds a whole
 * job (null: none).
 */
public record Pipeline(
        String name,
        String description,
        Map<String, DataNode> dataNodes,
        Map<String, ProcessNode> processNodes,
        Map<String, Parameter> parameters,
        Schedule schedule,
        Duration deadline,
        List<Requirement> requirements) {
}
