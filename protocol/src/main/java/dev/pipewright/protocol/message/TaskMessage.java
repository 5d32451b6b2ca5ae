package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonTypeName;

import java.util.Map;

/**
 * "Run this task": published to a pool's queue. It carries keys, never payloads: the worker
 * claims the attempt in Redis with {@code dispatch}, and a message whose dispatch is no longer
 * the task's current one is a stale duplicate.
 */
@JsonTypeName("task")
public record TaskMessage(int v, String job, int shard, String node, long dispatch) implements BusMessage {
    public static final int VERSION = 1;
    /**
     * The message header naming the task's processor, so a worker can tell before claiming whether
     * the task is a quick one (the claim is what reads the task's spec). A hint only: a message
     * without it is treated as a slow task.
     */
    public static final String PROCESSOR_HEADER = "pw-processor";

    /** The processor named by a message's headers, or null. */
    public static String processorOf(Map<String, Object> headers) {
        Object value = headers == null ? null : headers.get(PROCESSOR_HEADER);
        return value == null ? null : value.toString(); // the AMQP client hands strings over as LongString
    }
}
