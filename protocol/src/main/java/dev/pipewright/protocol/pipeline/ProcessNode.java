package dev.pipewright.protocol.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One processing step: reads its {@code input} data nodes, runs {@code processor} on a worker of
 * {@code pool}, writes its {@code output} data nodes. {@code config} is handed to the processor
 * as it is; {@code requirements} (its {@code requirement:} list) are installed for a module
 * processor, after the pipeline's. Null durations mean "no limit" ({@code timeout}, {@code queueTimeout}) or "the
 * installation default" ({@code heartbeat}).
 */
public record ProcessNode(
        String name,
        List<String> input,
        List<String> output,
        String processor,
        Map<String, Object> config,
        String pool,
        Duration timeout,
        Duration queueTimeout,
        Duration heartbeat,
        RetryPolicy retries,
        List<Requirement> requirements) {

    public static final String DEFAULT_POOL = "default";

    public ProcessNode {
        requirements = requirements == null ? List.of() : List.copyOf(requirements);
    }

    /** A node without requirements of its own. */
    public ProcessNode(String name, List<String> input, List<String> output, String processor, Map<String, Object> config, String pool,
                       Duration timeout, Duration queueTimeout, Duration heartbeat, RetryPolicy retries) {
        this(name, input, output, processor, config, pool, timeout, queueTimeout, heartbeat, retries, List.of());
    }
}
