package dev.pipewright.protocol.pipeline;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One processing step: reads its {@code input} data nodes, runs {@code processor} on a worker of
 * {@code pool}, writes its {@code output} data nodes. {@code config} is handed to the processor
 * as it is; {@code requirements} (its {@code requirement:} list) are installed for a module
 * processor, after the pipeline's. {@code after} names process nodes that must succeed before this
 * one runs, without passing data; {@code cache} (null: none) memoises its outputs across jobs;
 * {@code collect} names the mapped ({@code map: true}) data nodes among its inputs whose items it
 * receives all at once, in order, instead of running once per item; {@code configSchema} (null:
 * none) is a JSON Schema its effective config, after a submit's overrides, must satisfy. Null durations mean "no limit" ({@code timeout}, {@code queueTimeout}) or "the
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
        List<Requirement> requirements,
        List<String> after,
        CachePolicy cache,
        List<String> collect,
        JsonNode configSchema) {

    public static final String DEFAULT_POOL = "default";

    public ProcessNode {
        requirements = requirements == null ? List.of() : List.copyOf(requirements);
        after = after == null ? List.of() : List.copyOf(after);
        collect = collect == null ? List.of() : List.copyOf(collect);
    }

    /** A node without ordering, cache, collect or config schema. */
    public ProcessNode(String name, List<String> input, List<String> output, String processor, Map<String, Object> config, String pool,
                       Duration timeout, Duration queueTimeout, Duration heartbeat, RetryPolicy retries, List<Requirement> requirements) {
        this(name, input, output, processor, config, pool, timeout, queueTimeout, heartbeat, retries, requirements,
                List.of(), null, List.of(), null);
    }

    /** A node without requirements of its own. */
    public ProcessNode(String name, List<String> input, List<String> output, String processor, Map<String, Object> config, String pool,
                       Duration timeout, Duration queueTimeout, Duration heartbeat, RetryPolicy retries) {
        this(name, input, output, processor, config, pool, timeout, queueTimeout, heartbeat, retries, List.of());
    }
}
