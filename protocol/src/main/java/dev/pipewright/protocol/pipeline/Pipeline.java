package dev.pipewright.protocol.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A validated pipeline definition. Maps keep declaration order. {@code deadline} bounds a whole
 * job (null: none); {@code retention} is how long its jobs are kept once they ended (null: the
 * installation's {@code PW_JOB_RETENTION}).
 */
public record Pipeline(
        String name,
        String description,
        Map<String, DataNode> dataNodes,
        Map<String, ProcessNode> processNodes,
        Map<String, Parameter> parameters,
        Schedule schedule,
        Duration deadline,
        List<Requirement> requirements,
        Duration retention) {
    /** The longest {@code retention} a pipeline may ask for. */
    public static final Duration MAX_RETENTION = Duration.ofDays(3650);

    /** A pipeline that keeps its jobs as long as the installation does. */
    public Pipeline(String name, String description, Map<String, DataNode> dataNodes, Map<String, ProcessNode> processNodes,
                    Map<String, Parameter> parameters, Schedule schedule, Duration deadline, List<Requirement> requirements) {
        this(name, description, dataNodes, processNodes, parameters, schedule, deadline, requirements, null);
    }
}
