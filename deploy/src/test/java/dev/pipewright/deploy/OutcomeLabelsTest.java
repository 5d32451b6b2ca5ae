package dev.pipewright.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every value the dashboard, the alert rules and their unit tests use for an {@code outcome} (or
 * {@code reason}) label is one the code can emit for that metric (the lists in WorkerMetrics and
 * OverseerMetrics, which the Lua scripts and the worker are tested against). A panel on
 * {@code outcome="SUCCEEDED"} when the code says SUCCESS shows nothing and alerts on nothing.
 */
class OutcomeLabelsTest {
    private static final Pattern SELECTOR = Pattern.compile("([A-Za-z_:][A-Za-z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"((?:\\\\.|[^\"\\\\])*)\"");
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** Where → PromQL expression or series selector. */
    static Map<String, String> expressions() {
        Map<String, String> out = new LinkedHashMap<>();
        collect(Repo.json("deploy/grafana/dashboards/pipewright.json").path("panels"), out);
        for (JsonNode group : Repo.yaml("deploy/prometheus/alerts.yml").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                out.put("alerts.yml " + rule.path("alert").asText(rule.path("record").asText()), rule.path("expr").asText());
            }
        }
        int i = 0;
        for (JsonNode test : Repo.yaml("deploy/prometheus/alerts.test.yml").path("tests")) {
            i++;
            for (JsonNode series : test.path("input_series")) {
                out.put("alerts.test.yml test " + i + " series " + series.path("series").asText(), series.path("series").asText());
            }
        }
        return out;
    }

    private static void collect(JsonNode panels, Map<String, String> out) {
        for (JsonNode p : panels) {
            int n = 0;
            for (JsonNode t : p.path("targets")) {
                out.put("panel '" + p.path("title").asText() + "' #" + (++n), t.path("expr").asText());
            }
            collect(p.path("panels"), out);
        }
    }

    /** The label values one matcher names: itself, or each branch of a plain alternation. */
    static List<String> values(String op, String value, String where, List<String> problems) {
        if (op.equals("=") || op.equals("!=")) {
            return List.of(value);
        }
        List<String> out = new ArrayList<>();
        for (String part : value.split("\\|", -1)) {
            if (PLAIN.matcher(part).matches()) {
                out.add(part);
            } else {
                problems.add(where + ": regex " + value + " is not an alternation of plain values (this test cannot check it)");
            }
        }
        return out;
    }

    @Test
    void everyOutcomeAndReasonUsedIsOneTheCodeEmits() {
        Map<String, Map<String, List<String>>> emitted = CodeFacts.labelValues();
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, String> e : expressions().entrySet()) {
            Matcher sel = SELECTOR.matcher(e.getValue());
            while (sel.find()) {
                String metric = sel.group(1);
                Matcher m = MATCHER.matcher(sel.group(2));
                while (m.find()) {
                    String label = m.group(1);
                    if (!label.equals("outcome") && !label.equals("reason")) {
                        continue;
                    }
                    List<String> allowed = emitted.getOrDefault(metric, Map.of()).get(label);
                    if (allowed == null) {
                        problems.add(e.getKey() + ": " + metric + " has no " + label + " label in the code");
                        continue;
                    }
                    for (String v : values(m.group(2), m.group(3), e.getKey(), problems)) {
                        checked++;
                        if (!allowed.contains(v)) {
                            problems.add(e.getKey() + ": " + metric + "{" + label + "=\"" + v + "\"}: the code emits " + allowed);
                        }
                    }
                }
            }
        }
        Repo.noProblems("outcome and reason label values", problems);
        assertTrue(checked >= 5, "the dashboard, alerts and their tests should use outcome values; checked " + checked);
    }

    @Test
    void theCodesListsAreTheOutcomesUsersSee() {
        Map<String, Map<String, List<String>>> emitted = CodeFacts.labelValues();
        assertEquals(List.of("SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "retry"),
                emitted.get("pipewright_tasks_finished_total").get("outcome"));
        assertEquals(List.of("SUCCESS", "FAILED", "CANCELLED"), emitted.get("pipewright_jobs_finished_total").get("outcome"));
        assertTrue(emitted.get("pipewright_tasks_ended_total").get("reason").contains("queue_timeout"));
    }

    @Test
    void theCheckerSeesAWrongValue() {
        List<String> problems = new ArrayList<>();
        assertEquals(List.of("FAILED", "retry"), values("=~", "FAILED|retry", "x", problems));
        assertEquals(List.of(), problems);
        values("=~", "FAIL.*", "x", problems);
        assertEquals(1, problems.size(), problems.toString());
        Matcher sel = SELECTOR.matcher("sum(rate(pipewright_jobs_finished_total{job=\"overseer\", outcome=\"SUCCEEDED\"}[5m]))");
        assertTrue(sel.find());
        assertEquals("pipewright_jobs_finished_total", sel.group(1));
        Matcher m = MATCHER.matcher(sel.group(2));
        assertTrue(m.find() && m.find());
        assertEquals("SUCCEEDED", m.group(3));
        assertTrue(!CodeFacts.labelValues().get("pipewright_jobs_finished_total").get("outcome").contains(m.group(3)));
    }
}
