package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.data.ObjectRef;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rows of a job's listings as the API shows them: a task of {@code GET /jobs/{id}/tasks} (the
 * same fields as the task rows of {@code GET /jobs/{id}}) and a consumable of
 * {@code GET /jobs/{id}/consumables}.
 */
final class JobRows {
    /** The task hash fields a task row is made of (never the spec, which can be large). */
    static final List<String> TASK_FIELDS = List.of("processor", "pool", "state", "attempts", "worker", "started", "ended", "error",
            "held", "reused", "cachedFrom");
    /** Consumables up to this size are shown inline. */
    static final int INLINE_MAX_BYTES = 1024;

    private JobRows() {
    }

    /** A task row from its hash fields (absent fields: null). */
    static TaskRow task(String node, Map<String, String> t) {
        boolean held = "1".equals(t.get("held")) && "READY".equals(t.get("state"));
        return new TaskRow(node, t.get("processor"), t.get("pool"), t.get("state"), intOf(t.get("attempts")), t.get("worker"),
                time(t.get("started")), time(t.get("ended")), longOf(t.get("started")), longOf(t.get("ended")), t.get("error"),
                held ? "a slot of processor '" + t.get("processor") + "' (concurrency limit)" : null, t.get("cachedFrom") == null ? t.get("reused") : null, items(t), t.get("cachedFrom"));
    }

    /** A group's item summary from its own hash ({@code n}, {@code next}, {@code i:<STATE>}); null for any other task. */
    static TaskRow.Items items(Map<String, String> t) {
        if (t.get("map") == null) {
            return null;
        }
        Map<String, Long> states = new java.util.TreeMap<>();
        t.forEach((field, value) -> {
            if (field.startsWith("i:")) {
                long n = Long.parseLong(value);
                if (n > 0) {
                    states.put(field.substring(2), n);
                }
            }
        });
        return new TaskRow.Items(longOf(t.get("n")), t.get("next") == null ? 0 : Long.parseLong(t.get("next")), states);
    }

    /** Whether a task is an item of a group ({@code <node>[<i>]}: no declared node name ends in ']'). */
    static boolean isItem(String node) {
        return node.endsWith("]");
    }

    /**
     * A consumable entry: its data node, content type and size, and its value when it is at most
     * {@link #INLINE_MAX_BYTES}: {@code value} when it is text or JSON in valid UTF-8, else
     * {@code value_base64}. {@code value} null: not read (too large to show).
     */
    static ConsumableRow consumable(String node, String contentType, long size, byte[] value) {
        if (ObjectRef.isRef(value)) {
            // in the object store: its own size, the value itself from GET .../consumables/{node}
            return new ConsumableRow(node, contentType, ObjectRef.decode(value).size(), null, null);
        }
        if (value == null || value.length > INLINE_MAX_BYTES) {
            return new ConsumableRow(node, contentType, size, null, null);
        }
        String text = textual(contentType) ? utf8(value) : null;
        return new ConsumableRow(node, contentType, size, text, text == null ? Base64.getEncoder().encodeToString(value) : null);
    }

    /** Whether a content type says text: {@code text/*}, {@code application/json} or any {@code +json}. */
    static boolean textual(String contentType) {
        if (contentType == null) {
            return false;
        }
        String base = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return base.startsWith("text/") || base.equals("application/json") || base.endsWith("+json");
    }

    /** The bytes as text when they are valid UTF-8, else null. */
    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static int intOf(String s) {
        return s == null || s.isEmpty() ? 0 : Integer.parseInt(s);
    }

    static Long longOf(String s) {
        return s == null || s.isEmpty() ? null : Long.parseLong(s);
    }

    static String time(String micros) {
        Long us = longOf(micros);
        return us == null ? null : Instant.ofEpochSecond(us / 1_000_000, (us % 1_000_000) * 1000).toString();
    }
}
