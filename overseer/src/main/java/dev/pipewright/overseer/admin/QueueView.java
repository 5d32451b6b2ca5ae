package dev.pipewright.overseer.admin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * A pool's queue as {@code GET /admin/queues} shows it. {@code ready_by_priority} is keyed by the
 * priorities' wire names, highest first, as the levels are iterated: a map, so that a level added
 * to {@code Priority} shows without a change here. {@code oldest_age_ms} is null when nothing waits.
 */
public record QueueView(
        String pool, String queue, boolean exists, int ready,
        @JsonProperty("ready_by_priority") Map<String, Integer> readyByPriority, int consumers, int unacked,
        @JsonProperty("in_flight") int inFlight, int workers, @JsonProperty("queued_tasks") long queuedTasks,
        @JsonProperty("oldest_age_ms") Long oldestAgeMs, boolean paused) {
}
