package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How a value of the server's answers reads in a table cell or a "label: value" line. */
final class Cells {
    private Cells() {
    }

    /** The value as text; a list as its items joined by commas; "-" for nothing (absent, null, blank, empty list). */
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

    /** A duration in milliseconds as 850 ms, 12.3 s, 4.5 min or 2.0 h; "-" when not a number. */
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

    static String yesNo(JsonNode n) {
        return n != null && n.asBoolean() ? "yes" : "no";
    }

    /** A pipeline and its version as {@code p1 v2}, from the fields {@code pipeline_id} and {@code pipeline_version}. */
    static String pipelineVersion(JsonNode n) {
        return n.path("pipeline_id").asText() + " v" + n.path("pipeline_version").asText();
    }
}
