package dev.pipewright.deploy;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the metric names a PromQL expression reads: everything that is not a function, an
 * aggregation, a keyword, a label (in braces or a grouping clause), a string, a duration or a
 * Grafana variable.
 */
final class PromQl {
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
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\(\\s*(.*?)\\s*(?:,\\s*\\w+\\s*)?\\)\\s*$", Pattern.DOTALL);
    private static final Pattern OTHER_VAR_QUERY = Pattern.compile("^\\s*(?:label_names|metrics)\\(.*\\)\\s*$", Pattern.DOTALL);
    private static final Pattern QUERY_RESULT = Pattern.compile("^\\s*query_result\\((.*)\\)\\s*$", Pattern.DOTALL);

    private PromQl() {
    }

    static Set<String> metricNames(String expr) {
        String s = GRAFANA_VARS.matcher(expr).replaceAll("1");
        s = STRINGS.matcher(s).replaceAll("\"\"");
        s = RANGES.matcher(s).replaceAll("");
        s = MATCHERS.matcher(s).replaceAll("");
        s = GROUPING.matcher(s).replaceAll("");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String id = m.group(1);
            boolean call = m.group(2) != null;
            if (!call && !KEYWORDS.contains(id.toLowerCase())) {
                names.add(id);
            }
        }
        return names;
    }

    /** Metric names a Grafana (Prometheus) template variable query reads. */
    static Set<String> variableQueryMetricNames(String query) {
        Matcher lv = LABEL_VALUES.matcher(query);
        if (lv.matches()) {
            String inner = lv.group(1);
            // label_values(pool): a label only; label_values(metric{...}, label): the metric
            return query.contains(",") ? metricNames(inner) : Set.of();
        }
        if (OTHER_VAR_QUERY.matcher(query).matches()) {
            return Set.of();
        }
        Matcher qr = QUERY_RESULT.matcher(query);
        return metricNames(qr.matches() ? qr.group(1) : query);
    }
}
