package dev.pipewright.protocol.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One processing step: reads its {@code input} data nodes, runs {@code processor} on a worker of
 * {@code pool}, writes its {@code output} data nodes. {@code config} is handed to the processor
 * as it is. Null durations mean "no limit" ({@code timeout}, {@code queueTimeout}) or "the
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
        RetryPolicy retries) {

    public static final String DEFAULT_POOL = "default";
}
