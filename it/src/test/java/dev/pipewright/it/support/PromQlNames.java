package dev.pipewright.it.support;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads (everything that is not a function, keyword, label,
 * string, range or Grafana variable). The same rules as deploy's PromQl, which checks the files
 * against the sources; this one checks them against live scrapes.
 */
public final class PromQlNames {
    private static final Set<String> KEYWORDS = Set.of(
            "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
            "inf", "nan", "start", "end");
    private static final Pattern STRINGS = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'|`[^`]*`");
    private static final Pattern GRAFANA_VARS = Pattern.compile("\\$\\{[^}]*}|\\$\\w+|\\[\\[\\w+]]");
    private static final Pattern RANGES = Pattern.compile("\\[[^\\]]*]");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", Pattern.CASE_INSENSITIVE);
    private static final Pattern IDENT = Pattern.compile("(?<![\\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(\\s*\\()?");
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\(\\s*(.*?)\\s*,\\s*\\w+\\s*\\)\\s*$", Pattern.DOTALL);

    private PromQlNames() {
    }

    public static Set<String> of(String expr) {
        Matcher lv = LABEL_VALUES.matcher(expr);
        String s = lv.matches() ? lv.group(1) : expr;
        s = GRAFANA_VARS.matcher(s).replaceAll("1");
        s = STRINGS.matcher(s).replaceAll("\"\"");
        s = RANGES.matcher(s).replaceAll("");
        s = MATCHERS.matcher(s).replaceAll("");
        s = GROUPING.matcher(s).replaceAll("");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase())) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** The metric families of a Prometheus text scrape (sample names as they appear). */
    public static Set<String> scraped(String text) {
        Set<String> names = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }
}
