package dev.pipewright.overseer.admin;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A worker as {@code GET /admin/workers} shows it. The per-pool figures are keyed by the pools the
 * worker serves (names operators choose), so they stay maps.
 */
public record WorkerRow(
        String id, boolean alive, List<String> pools, List<String> processors, int concurrency,
        @JsonProperty("in_flight") int inFlight, @JsonProperty("in_flight_by_pool") Map<String, Integer> inFlightByPool,
        @JsonProperty("unacked_by_pool") Map<String, Integer> unackedByPool, @JsonProperty("paused_pools") List<String> pausedPools,
        String version, String host, String pid, @JsonProperty("last_seen") String lastSeen,
        @JsonProperty("last_seen_ago_ms") long lastSeenAgoMs) {

    /** The worker's heartbeat as seen at {@code nowMs}. */
    public static WorkerRow of(WorkerView w, long nowMs) {
        return new WorkerRow(w.id(), w.alive(), w.pools(), w.processors(), w.concurrency(), w.inFlight(), w.inFlightByPool(),
                w.unackedByPool(), w.paused(), w.version(), w.host(), w.pid(), Instant.ofEpochMilli(w.lastSeen()).toString(),
                Math.max(0, nowMs - w.lastSeen()));
    }
}
