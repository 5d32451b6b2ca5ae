package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Shared helpers of the operator commands (queues, workers, pool, dlq). */
final class AdminOutput {
    private AdminOutput() {
    }

    static void printJson(PrintWriter out, JsonNode node) {
        try {
            out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    static JsonNode post(ApiClient client, String path, Object body, String what) {
        ApiClient.Response r = client.postJson(path, body);
        if (!r.ok()) {
            StringBuilder msg = new StringBuilder(what + ": " + r.errorMessage() + " (HTTP " + r.status() + ")");
            r.problems().forEach(p -> msg.append("\n  ").append(p));
            throw CliException.failure(msg.toString());
        }
        return r.json();
    }

    static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "-";
        }
        if (n.isArray()) {
            List<String> items = new ArrayList<>();
            n.forEach(i -> items.add(i.asText()));
            return items.isEmpty() ? "-" : String.join(",", items);
        }
        String s = n.asText();
        return s.isBlank() ? "-" : s;
    }

    /** 850 ms, 12.3 s, 4.5 min, 2.0 h. */
    static String age(JsonNode ms) {
        if (ms == null || !ms.isNumber()) {
            return "-";
        }
        double v = ms.asDouble();
        if (v < 1000) {
            return String.format(Locale.ROOT, "%.0f ms", v);
        } else if (v < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", v / 1000);
        } else if (v < 3_600_000) {
            return String.format(Locale.ROOT, "%.1f min", v / 60_000);
        }
        return String.format(Locale.ROOT, "%.1f h", v / 3_600_000);
    }

    static String table(List<String[]> rows) {
        return StatusCommand.table(rows);
    }

    /** "90", "90s", "2m", "1h" → seconds. */
    static long seconds(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("ms")) {
            throw CliException.usage("--timeout: give whole seconds, minutes or hours (e.g. 90s, 2m), not '" + s + "'");
        } else if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unit = 60;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            unit = 3600;
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t) * unit;
            if (v < 0 || v > 3600) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw CliException.usage("--timeout: expected a duration from 0s to 1h such as 90s or 2m, got '" + s + "'");
        }
    }
}
