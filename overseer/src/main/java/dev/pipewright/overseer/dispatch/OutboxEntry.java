package dev.pipewright.overseer.dispatch;

import dev.pipewright.infra.redis.Scripts;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One outbox stream entry: a task message for a pool queue (routing key), in a shard's outbox. */
public record OutboxEntry(String id, String pool, String message, int shard) {

    /**
     * The status and the entries a dispatching script returned ({@code status, id, routing key,
     * message, shard, ...}); a freed concurrency slot can dispatch tasks of other shards.
     */
    public record Reply(String status, List<OutboxEntry> dispatched) {
        public static Reply of(List<Object> raw) {
            List<OutboxEntry> entries = new ArrayList<>((raw.size() - 1) / 4);
            for (int i = 1; i + 3 < raw.size(); i += 4) {
                entries.add(new OutboxEntry(Scripts.text(raw.get(i)), Scripts.text(raw.get(i + 1)), Scripts.text(raw.get(i + 2)),
                        Integer.parseInt(Scripts.text(raw.get(i + 3)))));
            }
            return new Reply(Scripts.text(raw.get(0)), entries);
        }
    }

    /** Entries grouped by the shard whose outbox holds them (deleted from it once confirmed). */
    public static Map<Integer, List<OutboxEntry>> byShard(List<OutboxEntry> entries) {
        Map<Integer, List<OutboxEntry>> out = new LinkedHashMap<>();
        for (OutboxEntry e : entries) {
            out.computeIfAbsent(e.shard(), s -> new ArrayList<>()).add(e);
        }
        return out;
    }
}
