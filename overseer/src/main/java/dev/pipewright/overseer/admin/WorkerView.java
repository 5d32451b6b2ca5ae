package dev.pipewright.overseer.admin;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A worker as its heartbeat describes it: pools, concurrency, attempts running and deliveries not
 * yet settled (per pool), the pools it has paused, version, last seen.
 */
public record WorkerView(String id, List<String> pools, List<String> processors, int concurrency, int inFlight,
                         Map<String, Integer> inFlightByPool, Map<String, Integer> unackedByPool, List<String> paused,
                         String version, String host, String pid, long lastSeen, boolean alive) {

    static WorkerView of(String id, Map<String, String> h, long now, long ttlMs) {
        Map<String, Integer> inflight = new LinkedHashMap<>();
        Map<String, Integer> unacked = new LinkedHashMap<>();
        h.forEach((k, v) -> {
            if (k.startsWith("inflight:")) {
                inflight.put(k.substring(9), parse(v));
            } else if (k.startsWith("unacked:")) {
                unacked.put(k.substring(8), parse(v));
            }
        });
        long lastSeen = parseLong(h.get("lastSeen"));
        return new WorkerView(id, list(h.get("pools")), list(h.get("processors")), parse(h.get("concurrency")),
                parse(h.get("inflight")), inflight, unacked, list(h.get("paused")), h.getOrDefault("version", "?"),
                h.getOrDefault("host", "?"), h.getOrDefault("pid", "?"), lastSeen, now - lastSeen <= ttlMs);
    }

    public int inFlight(String pool) {
        return inFlightByPool.getOrDefault(pool, 0);
    }

    public int unacked(String pool) {
        return unackedByPool.getOrDefault(pool, 0);
    }

    private static List<String> list(String csv) {
        return csv == null || csv.isBlank() ? List.of() : Arrays.stream(csv.split(",")).filter(s -> !s.isBlank()).toList();
    }

    private static int parse(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long parseLong(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
