package dev.pipewright.protocol.message;

import java.util.Map;

/**
 * Appended to a shard's event stream by the atomic commit of an attempt: the task of
 * {@code node} in {@code job} ended with {@code outcome} (success or failure for good).
 */
public record CompletionEvent(String job, String node, String attempt, Outcome outcome) {
    public enum Outcome { SUCCESS, FAILED }

    public static CompletionEvent fromFields(Map<String, String> fields) {
        String outcome = fields.get("o");
        if (fields.get("j") == null || fields.get("n") == null || outcome == null) {
            throw new IllegalArgumentException("event lacks j, n or o: " + fields.keySet());
        }
        return new CompletionEvent(fields.get("j"), fields.get("n"), fields.getOrDefault("a", ""),
                "ok".equals(outcome) ? Outcome.SUCCESS : Outcome.FAILED);
    }
}
