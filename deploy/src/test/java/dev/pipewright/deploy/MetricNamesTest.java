package dev.pipewright.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every metric the alert rules and the Grafana dashboard read is one the code registers (in
 * Prometheus form), one of the bound JVM binders', Prometheus's own, or on the explicit PLANNED
 * list below. A panel or alert pointing at nothing fails here.
 */
class MetricNamesTest {
    /**
     * Metrics the deployment files use before the code registers them (Prometheus names; a timer is
     * listed by its `_seconds` family: _bucket, _count, _sum, _max). Every run prints which of them
     * the code registers now: remove those from this list, and the list once it is empty.
     */
    static final Map<String, String> PLANNED = plannedMap();

    private static Map<String, String> plannedMap(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    /** The series a planned metric will show up as. */
    static List<String> plannedSeries(String name, String kind) {
        return kind.startsWith("timer") ? List.of(name + "_bucket", name + "_count", name + "_sum", name + "_max") : List.of(name);
    }

    /** Prometheus's own series. */
    static final Set<String> PROMETHEUS = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added");

    /** What each Micrometer binder registers, in Prometheus form (Micrometer 1.15, checked with a scrape). */
    static final Map<String, List<String>> BINDERS = Map.of(
            "JvmMemoryMetrics", List.of("jvm_memory_used_bytes", "jvm_memory_committed_bytes", "jvm_memory_max_bytes",
                    "jvm_buffer_count_buffers", "jvm_buffer_memory_used_bytes", "jvm_buffer_total_capacity_bytes"),
            "JvmThreadMetrics", List.of("jvm_threads_live_threads", "jvm_threads_daemon_threads", "jvm_threads_peak_threads",
                    "jvm_threads_states_threads", "jvm_threads_started_threads_total"),
            "JvmGcMetrics", List.of("jvm_gc_pause_seconds_count", "jvm_gc_pause_seconds_sum", "jvm_gc_pause_seconds_max",
                    "jvm_gc_memory_allocated_bytes_total", "jvm_gc_memory_promoted_bytes_total",
                    "jvm_gc_max_data_size_bytes", "jvm_gc_live_data_size_bytes"),
            "JvmHeapPressureMetrics", List.of("jvm_gc_overhead", "jvm_memory_usage_after_gc"),
            "ProcessorMetrics", List.of("process_cpu_usage", "process_cpu_time_ns_total", "system_cpu_usage",
                    "system_cpu_count", "system_load_average_1m"),
            "UptimeMetrics", List.of("process_uptime_seconds", "process_start_time_seconds"),
            "ClassLoaderMetrics", List.of("jvm_classes_loaded_classes", "jvm_classes_unloaded_classes_total"),
            "FileDescriptorMetrics", List.of("process_files_open_files", "process_files_max_files"),
            "JvmInfoMetrics", List.of("jvm_info"),
            "JvmCompilationMetrics", List.of("jvm_compilation_time_ms_total"));

    /** Vert.x's HTTP server meters (vertx-micrometer-metrics, enabled in OverseerMain), in Prometheus form. */
    static final List<String> VERTX_HTTP_SERVER = List.of("vertx_http_server_requests_total", "vertx_http_server_active_requests",
            "vertx_http_server_active_connections", "vertx_http_server_response_time_seconds_bucket",
            "vertx_http_server_response_time_seconds_count", "vertx_http_server_response_time_seconds_sum",
            "vertx_http_server_response_time_seconds_max");

    /**
     * What the exporters deploy/prometheus/prometheus.yml scrapes publish (scrape job → metrics the
     * dashboard may read): RabbitMQ's rabbitmq_prometheus plugin (aggregated /metrics) and
     * oliver006/redis_exporter.
     */
    static final Map<String, List<String>> EXPORTERS = Map.of(
            "rabbitmq", List.of("rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked", "rabbitmq_connections",
                    "rabbitmq_channels", "rabbitmq_consumers", "rabbitmq_process_resident_memory_bytes",
                    "rabbitmq_resident_memory_limit_bytes", "rabbitmq_global_messages_received_total",
                    "rabbitmq_global_messages_delivered_total"),
            "redis", List.of("redis_up", "redis_connected_clients", "redis_blocked_clients", "redis_memory_used_bytes",
                    "redis_memory_max_bytes", "redis_commands_processed_total"));

    /** Metrics the dashboard must show (the panels the operators asked for). */
    static final List<String> DASHBOARD_MUST_SHOW = List.of(
            "pipewright_tasks_dispatched_total", "pipewright_tasks_finished_total", "pipewright_queue_depth",
            "pipewright_task_queue_wait_seconds_bucket", "pipewright_release_latency_seconds_bucket",
            "pipewright_workers_alive", "pipewright_worker_inflight", "pipewright_dlq_size", "jvm_memory_used_bytes",
            "pipewright_tasks_ended_total", "pipewright_outbox_delay_seconds_bucket", "pipewright_events_delay_seconds_bucket",
            "pipewright_attempts_oldest_age_seconds", "pipewright_attempts_handedback_total", "process_cpu_usage",
            "pipewright_shard_served", "pipewright_shard_events_total", "pipewright_job_duration_seconds_bucket",
            "pipewright_workers_live", "vertx_http_server_requests_total", "rabbitmq_queue_messages_ready", "redis_up");

    static final Map<String, String> CODE = new TreeMap<>();   // Prometheus name -> where it is registered
    static final Set<String> KNOWN = new TreeSet<>();
    static final List<String> NOTES = new ArrayList<>();

    @BeforeAll
    static void collect() {
        Pattern literal = Pattern.compile("\"(pipewright\\.[a-z0-9_.]+)\"");
        for (Path file : Repo.mainSources("infra", "overseer", "worker")) {
            String src = Repo.read(file);
            Matcher m = literal.matcher(src);
            while (m.find()) {
                String statement = statement(src, m.start()).toLowerCase();
                String where = Repo.ROOT.relativize(file).getFileName().toString();
                for (String name : prometheusNames(m.group(1), statement, where)) {
                    CODE.putIfAbsent(name, where);
                }
            }
        }
        KNOWN.addAll(CODE.keySet());
        KNOWN.addAll(PROMETHEUS);
        // both processes bind the JVM meters through infra's JvmMeters (WorkerMetrics, OverseerMetrics)
        String binders = Repo.read(CodeFacts.JVM_METERS);
        for (String metrics : List.of(CodeFacts.WORKER_METRICS, CodeFacts.OVERSEER_METRICS)) {
            assertTrue(Repo.read(metrics).contains("JvmMeters.bindTo("), metrics + " should bind the JVM meters (JvmMeters.bindTo)");
        }
        for (var e : BINDERS.entrySet()) {
            if (binders.contains("new " + e.getKey() + "(")) {
                KNOWN.addAll(e.getValue());
            }
        }
        if (Repo.read(CodeFacts.OVERSEER_MAIN).contains("new MicrometerMetricsOptions().setEnabled(true)")) {
            KNOWN.addAll(VERTX_HTTP_SERVER);
        }
        Set<String> scrapeJobs = new TreeSet<>();
        Repo.yaml("deploy/prometheus/prometheus.yml").path("scrape_configs").forEach(j -> scrapeJobs.add(j.path("job_name").asText()));
        EXPORTERS.forEach((job, names) -> {
            if (scrapeJobs.contains(job)) {
                KNOWN.addAll(names);
            }
        });
        Set<String> implemented = new TreeSet<>();
        Set<String> stillPlanned = new TreeSet<>();
        for (var e : PLANNED.entrySet()) {
            List<String> series = plannedSeries(e.getKey(), e.getValue());
            (CODE.keySet().containsAll(series) ? implemented : stillPlanned).add(e.getKey() + " (" + e.getValue() + ")");
        }
        System.out.println("[deploy] metrics registered by the code: " + CODE.keySet());
        System.out.println("[deploy] PLANNED metrics not registered by the code yet: " + stillPlanned);
        System.out.println("[deploy] PLANNED metrics the code now registers (remove them from MetricNamesTest.PLANNED): " + implemented);
        NOTES.forEach(n -> System.out.println("[deploy] note: " + n));
        PLANNED.forEach((name, kind) -> KNOWN.addAll(plannedSeries(name, kind)));
    }

    /** The Java statement around a position: from the previous ';', '{' or '}' to the next ';'. */
    private static String statement(String src, int at) {
        int start = at;
        while (start > 0 && ";{}".indexOf(src.charAt(start - 1)) < 0) {
            start--;
        }
        int end = src.indexOf(';', at);
        return src.substring(start, end < 0 ? src.length() : end);
    }

    /** Micrometer's Prometheus naming: dots to underscores, counters `_total`, timers `_seconds_*`, base units as suffix. */
    static Set<String> prometheusNames(String micrometerName, String statement, String where) {
        String base = micrometerName.replace('.', '_');
        Matcher unit = Pattern.compile("\\.baseunit\\(\"([a-z]+)\"\\)").matcher(statement);
        String withUnit = unit.find() && !base.endsWith("_" + unit.group(1)) ? base + "_" + unit.group(1) : base;
        // Buckets.X.on(Timer.builder(...)) gives the timer explicit buckets (infra's Buckets)
        boolean histogram = statement.contains("publishpercentilehistogram") || statement.contains("servicelevelobjectives")
                || statement.contains("buckets.");
        Set<String> out = new LinkedHashSet<>();
        if (statement.contains("counter")) {
            out.add(withUnit.endsWith("_total") ? withUnit : withUnit + "_total");
        } else if (statement.contains("timer")) {
            String s = base.endsWith("_seconds") ? base : base + "_seconds";
            out.addAll(List.of(s + "_count", s + "_sum", s + "_max"));
            if (histogram) {
                out.add(s + "_bucket");
            }
        } else if (statement.contains("summary")) {
            out.addAll(List.of(withUnit + "_count", withUnit + "_sum", withUnit + "_max"));
            if (histogram) {
                out.add(withUnit + "_bucket");
            }
        } else if (statement.contains("gauge")) {
            out.add(withUnit);
        } else {
            // registered through a helper this test cannot see into: accept the usual forms
            NOTES.add("cannot tell the meter type of " + micrometerName + " in " + where + "; accepting every form");
            String s = base + "_seconds";
            out.addAll(List.of(base, base + "_total", s + "_count", s + "_sum", s + "_max", s + "_bucket"));
        }
        return out;
    }

    @Test
    void theCodeRegistersTheMetricsThisTestReadsFromIt() {
        // if the sources move, the known list would be empty and every check below meaningless
        for (String m : List.of("pipewright_tasks_dispatched_total", "pipewright_tasks_finished_total",
                "pipewright_worker_inflight", "pipewright_task_duration_seconds_bucket", "jvm_memory_used_bytes")) {
            assertTrue(KNOWN.contains(m), m + " should be known; code metrics found: " + CODE.keySet());
        }
        assertEquals("pipewright_tasks_finished_total", List.copyOf(prometheusNames("pipewright.tasks.finished",
                "counter.builder(\"pipewright.tasks.finished\").register(registry).increment()", "t")).get(0));
        assertEquals(Set.of("pipewright_x_seconds_count", "pipewright_x_seconds_sum", "pipewright_x_seconds_max"),
                prometheusNames("pipewright.x", "timer.builder(\"pipewright.x\").register(registry)", "t"));
    }

    @Test
    void promqlExtractionFindsMetricsNotFunctionsLabelsOrVariables() {
        assertEquals(Set.of("pipewright_task_queue_wait_seconds_bucket"), PromQl.metricNames(
                "histogram_quantile(0.95, sum by (pool, le) (rate(pipewright_task_queue_wait_seconds_bucket{pool=~\"$pool\"}[$__rate_interval])))"));
        assertEquals(Set.of("a_total", "b_total"), PromQl.metricNames(
                "sum(rate(a_total{outcome!=\"ok\"}[5m])) / on (pool) group_left sum without (x) (b_total offset 1h) > 0.2"));
        assertEquals(Set.of("up"), PromQl.metricNames("absent(up{job=\"worker\"} == 1)"));
        assertEquals(Set.of("m"), PromQl.variableQueryMetricNames("label_values(m{job=\"w\"}, pool)"));
        assertEquals(Set.of(), PromQl.variableQueryMetricNames("label_values(pool)"));
    }

    @Test
    void alertRulesUseOnlyKnownMetrics() {
        JsonNode rules = Repo.yaml("deploy/prometheus/alerts.yml");
        List<String> problems = new ArrayList<>();
        Set<String> used = new TreeSet<>();
        Set<String> alertNames = new LinkedHashSet<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.path("alert").asText(rule.path("record").asText("?"));
                if (!alertNames.add(name)) {
                    problems.add(name + ": duplicate rule name");
                }
                String expr = rule.path("expr").asText("");
                if (expr.isBlank()) {
                    problems.add(name + ": no expr");
                }
                if (rule.has("alert") && (!rule.path("labels").has("severity") || !rule.path("annotations").has("summary"))) {
                    problems.add(name + ": needs labels.severity and annotations.summary");
                }
                for (String metric : PromQl.metricNames(expr)) {
                    used.add(metric);
                    if (!KNOWN.contains(metric)) {
                        problems.add(name + ": unknown metric " + metric);
                    }
                }
            }
        }
        System.out.println("[deploy] metrics used by alerts.yml: " + used);
        Repo.noProblems("deploy/prometheus/alerts.yml (known: code + JVM binders + Prometheus + PLANNED)", problems);
        String all = Repo.read("deploy/prometheus/alerts.yml");
        for (String needed : List.of("up{job=\"overseer\"} == 0", "pipewright_dlq_size", "pipewright_task_queue_wait_seconds_bucket",
                "pipewright_workers_alive", "pipewright_jobs_finished_total", "pipewright_attempts_oldest_age_seconds",
                "pipewright_queue_oldest_age_seconds", "pipewright_shard_served")) {
            assertTrue(all.contains(needed), "alerts.yml should have a rule on " + needed);
        }
    }

    @Test
    void dashboardPanelsUseOnlyKnownMetrics() {
        JsonNode dashboard = Repo.json("deploy/grafana/dashboards/pipewright.json");
        List<String> problems = new ArrayList<>();
        Set<String> used = new TreeSet<>();
        Map<String, String> exprs = new LinkedHashMap<>();
        collectTargets(dashboard.path("panels"), exprs, problems, new LinkedHashSet<>());
        assertFalse(exprs.isEmpty(), "the dashboard has no queries");
        for (var e : exprs.entrySet()) {
            for (String metric : PromQl.metricNames(e.getValue())) {
                used.add(metric);
                if (!KNOWN.contains(metric)) {
                    problems.add("panel '" + e.getKey() + "': unknown metric " + metric);
                }
            }
        }
        for (JsonNode var : dashboard.path("templating").path("list")) {
            if (var.path("type").asText().equals("query")) {
                JsonNode q = var.path("query");
                String query = q.isObject() ? q.path("query").asText() : q.asText();
                for (String metric : PromQl.variableQueryMetricNames(query)) {
                    used.add(metric);
                    if (!KNOWN.contains(metric)) {
                        problems.add("variable $" + var.path("name").asText() + ": unknown metric " + metric);
                    }
                }
            }
        }
        System.out.println("[deploy] metrics used by the dashboard: " + used);
        Repo.noProblems("deploy/grafana/dashboards/pipewright.json (known: code + JVM binders + Prometheus + PLANNED)", problems);
        for (String m : DASHBOARD_MUST_SHOW) {
            assertTrue(used.contains(m), "the dashboard should have a panel on " + m);
        }
    }

    /**
     * The gauges {@code OverseerProbes} reads (queues, workers, dead letters, per-shard backlogs)
     * describe the whole installation, and every overseer reports them: with several overseers a
     * sum over their series counts each reading once per overseer. The alerts and the dashboard
     * must take them with max (or min, avg) first, e.g. {@code sum(max by (pool) (pipewright_queue_depth))}.
     */
    @Test
    void gaugesEveryOverseerReportsAreNeverSummedAcrossOverseers() {
        Set<String> shared = new TreeSet<>();
        Matcher m = Pattern.compile("metrics\\.gauge\\(\"(pipewright\\.[a-z0-9_.]+)\"").matcher(Repo.read(OVERSEER_PROBES));
        while (m.find()) {
            shared.add(m.group(1).replace('.', '_'));
        }
        assertTrue(shared.containsAll(List.of("pipewright_outbox_lag", "pipewright_events_lag", "pipewright_queue_depth")),
                "the gauges read from " + OVERSEER_PROBES + ": " + shared);
        Map<String, String> exprs = new LinkedHashMap<>();
        // a panel without queries is dashboardPanelsUseOnlyKnownMetrics's to report
        collectTargets(Repo.json("deploy/grafana/dashboards/pipewright.json").path("panels"), exprs, new ArrayList<>(), new LinkedHashSet<>());
        Map<String, String> all = new LinkedHashMap<>();
        exprs.forEach((panel, expr) -> all.put("dashboard panel '" + panel + "'", expr));
        for (JsonNode group : Repo.yaml("deploy/prometheus/alerts.yml").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                all.put("alert " + rule.path("alert").asText(rule.path("record").asText("?")), rule.path("expr").asText(""));
            }
        }
        List<String> problems = new ArrayList<>();
        for (var e : all.entrySet()) {
            for (String gauge : summedDirectly(e.getValue(), shared)) {
                problems.add(e.getKey() + ": sums " + gauge + ", which every overseer reports; take max by (...) first: " + e.getValue());
            }
        }
        Repo.noProblems("gauges summed across overseers", problems);
        assertEquals(Set.of("g"), summedDirectly("sum by (pool) (g{pool=~\"$pool\"})", Set.of("g")));
        assertEquals(Set.of("g"), summedDirectly("sum(g) by (pool)", Set.of("g")));
        assertEquals(Set.of(), summedDirectly("sum(max by (pool) (g{pool=~\"$pool\"}))", Set.of("g")));
        assertEquals(Set.of(), summedDirectly("max by (shard) (g) > 10 and sum(rate(h[5m])) > 0", Set.of("g")));
    }

    static final String OVERSEER_PROBES = "overseer/src/main/java/dev/pipewright/overseer/admin/OverseerProbes.java";

    /** The gauges of {@code names} that a {@code sum} aggregates directly (its argument starts with the metric). */
    static Set<String> summedDirectly(String expr, Set<String> names) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("\\bsum\\s*(?:(?:by|without)\\s*\\([^)]*\\)\\s*)?\\(\\s*([A-Za-z_:][A-Za-z0-9_:]*)").matcher(expr);
        while (m.find()) {
            if (names.contains(m.group(1))) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    @Test
    void dashboardIsProvisionable() {
        JsonNode d = Repo.json("deploy/grafana/dashboards/pipewright.json");
        assertFalse(d.path("uid").asText().isBlank(), "a fixed uid keeps links stable");
        assertFalse(d.path("title").asText().isBlank(), "title");
        Set<String> vars = new LinkedHashSet<>();
        d.path("templating").path("list").forEach(v -> vars.add(v.path("name").asText()));
        List<String> problems = new ArrayList<>();
        checkPanels(d.path("panels"), vars, problems);
        Repo.noProblems("dashboard panels", problems);
        JsonNode ds = Repo.yaml("deploy/grafana/provisioning/datasources/prometheus.yml").path("datasources").path(0);
        assertEquals("prometheus", ds.path("uid").asText(), "the datasource uid the dashboard's default selects");
    }

    private static void checkPanels(JsonNode panels, Set<String> vars, List<String> problems) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (JsonNode p : panels) {
            if (!ids.add(p.path("id").asInt(-1))) {
                problems.add("panel '" + p.path("title").asText() + "': missing or duplicate id");
            }
            if (!p.path("gridPos").has("w") || !p.path("gridPos").has("h")) {
                problems.add("panel '" + p.path("title").asText() + "': no gridPos");
            }
            if (!p.path("type").asText().equals("row")) {
                String uid = p.path("datasource").path("uid").asText();
                if (!uid.equals("prometheus") && !uid.equals("${datasource}")) {
                    problems.add("panel '" + p.path("title").asText() + "': datasource uid " + uid);
                }
                if (uid.startsWith("${") && !vars.contains(uid.substring(2, uid.length() - 1))) {
                    problems.add("panel '" + p.path("title").asText() + "': no variable " + uid);
                }
            }
            checkPanels(p.path("panels"), vars, problems);
        }
    }

    private static void collectTargets(JsonNode panels, Map<String, String> out, List<String> problems, Set<String> seen) {
        for (JsonNode p : panels) {
            String title = p.path("title").asText("?");
            int i = 0;
            for (JsonNode t : p.path("targets")) {
                String expr = t.path("expr").asText("");
                if (expr.isBlank()) {
                    problems.add("panel '" + title + "': a target without expr");
                }
                String key = title + (i++ == 0 ? "" : " #" + i);
                out.put(seen.add(key) ? key : key + "'", expr);
            }
            if (!p.path("type").asText().equals("row") && p.path("targets").isEmpty()) {
                problems.add("panel '" + title + "': no queries");
            }
            collectTargets(p.path("panels"), out, problems, seen);
        }
    }
}
