package dev.pipewright.overseer.dispatch;

import dev.pipewright.infra.redis.Scripts;

import java.util.ArrayList;
import java.util.List;

/** One outbox stream entry: a task message for a pool. */
public record OutboxEntry(String id, String pool, String message) {

    /** The status and the entries a dispatching script returned ({@code status, id, pool, message, ...}). */
    public record Reply(String status, List<OutboxEntry> dispatched) {
        public static Reply of(List<Object> raw) {
            List<OutboxEntry> entries = new ArrayList<>((raw.size() - 1) / 3);
            for (int i = 1; i + 2 < raw.size(); i += 3) {
                entries.add(new OutboxEntry(Scripts.text(raw.get(i)), Scripts.text(raw.get(i + 1)), Scripts.text(raw.get(i + 2))));
            }
            return new Reply(Scripts.text(raw.get(0)), entries);
        }
    }
}
