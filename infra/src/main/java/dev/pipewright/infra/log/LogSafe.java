package dev.pipewright.infra.log;

/**
 * User input made safe to write into a log line: every control character (CR and LF above all,
 * which would let a client start a log line of its own and forge an entry) is written as an
 * escape ({@code \r}, {@code \n}, {@code \t}, {@code \\u001b}), and a backslash as {@code \\} so an
 * escape in the input cannot pass for one of ours. Long input is cut (its length said), so one
 * request cannot fill the log. Every place that logs text a client chose goes through this.
 */
public final class LogSafe {
    /** Characters of one value kept in a log line. */
    public static final int MAX_CHARS = 500;

    private LogSafe() {
    }

    /** The text with control characters escaped, cut at {@link #MAX_CHARS}; "null" for null. */
    public static String text(Object value) {
        if (value == null) {
            return "null";
        }
        String s = value.toString();
        int n = Math.min(s.length(), MAX_CHARS);
        StringBuilder out = null;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '\\' || Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                out = new StringBuilder(n + 16).append(s, 0, i);
                escapeFrom(s, i, n, out);
                break;
            }
        }
        String kept = out == null ? s.substring(0, n) : out.toString();
        return s.length() > n ? kept + "…(" + s.length() + " chars)" : kept;
    }

    private static void escapeFrom(String s, int from, int to, StringBuilder out) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }
}
