package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonTypeName;

/**
 * "Run this task": published to a pool's queue. It carries keys, never payloads: the worker
 * claims the attempt in Redis with {@code dispatch}, and a message whose dispatch is no longer
 * the task's current one is a stale duplicate.
 */
@JsonTypeName("task")
public record TaskMessage(int v, String job, int shard, String node, long dispatch) implements BusMessage {
    public static final int VERSION = 1;
}
