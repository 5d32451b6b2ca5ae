package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonTypeName;

/**
 * Broadcast to every worker: stop ({@code paused}) or start again consuming {@code pool}'s queue.
 * Running attempts are never interrupted by it. The paused set in Redis is the truth (workers that
 * start later, or miss this message, read it); the broadcast only makes workers act at once.
 */
@JsonTypeName("pool")
public record PoolControl(int v, String pool, boolean paused) implements BusMessage {
    public static final int VERSION = 1;
}
