package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import dev.pipewright.it.support.PromQlNames;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After real work (an example pipeline, a task that fails once and is retried, a dead letter), every
 * metric the Grafana dashboard and the alert rules read is in a live scrape of the overseer or a
 * worker: no panel or alert points at nothing. The metrics of the work that happened are non-zero.
 */
class LiveMetricsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Prometheus's own series: never in an application's scrape. */
    private static final Set<String> PROMETHEUS = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added");

    static Cluster cluster;
    static String overseer;
    static String worker;

    @BeforeAll
    static void runWork() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(4).workerMetrics(true).start();
        cluster.postPipeline(Files.readString(repo().resolve("examples/diamond/pipeline.yaml")));
        cluster.postPipeline("""
                name: flaky
                dataNodes:
                  raw:
                  out:
                processNodes:
                  wobble:
                    input: raw
                    output: out
                    processor: fail
                    config: {times: 1}
                    retries: {max: 2, backoff: fixed, initial: 50ms}
                """);
        String diamond = cluster.submit("diamond", "{\"inputs\": {\"seed\": \"s\"}}");
        String flaky = cluster.submit("flaky", "{\"inputs\": {\"raw\": \"r\"}}");
        assertEquals("SUCCESS", cluster.awaitJob(diamond, WAIT).path("status").asText());
        assertEquals("s + s", cluster.consumableText(diamond, "joined"));
        JsonNode f = cluster.awaitJob(flaky, WAIT);
        assertEquals("SUCCESS", f.path("status").asText(), f.toString());
        assertEquals(2, Cluster.task(f, "wobble").path("attempts").asInt(), f.toString());
        // a dead letter: a worker rejects a message it cannot read
        cluster.publish(cluster.keys().taskExchange(), "default", "not a task message");
        Cluster.await("the dead letter to be recorded", WAIT,
                () -> cluster.get("/api/v1/admin/dlq").json().path("total").asInt() == 1);
        // the probes read gauges every 5 s
        Cluster.await("the probes to see the dead letter and the worker", WAIT, () -> {
            String text = cluster.overseerMetrics();
            return Metrics.value(text, "pipewright_dlq_size") > 0 && Metrics.value(text, "pipewright_workers_alive") > 0
                    && Metrics.value(text, "pipewright_queue_consumers") > 0;
        });
        overseer = cluster.overseerMetrics();
        worker = cluster.workerMetrics(0);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static Path repo() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("deploy/prometheus/alerts.yml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new AssertionError("cannot find the repository root (deploy/prometheus/alerts.yml) above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** Metric name → where it is read (dashboard panel or alert). */
    static Map<String, String> referenced() throws Exception {
        Map<String, String> out = new TreeMap<>();
        JsonNode dashboard = new ObjectMapper().readTree(repo().resolve("deploy/grafana/dashboards/pipewright.json").toFile());
        collectExprs(dashboard.path("panels"), out);
        for (JsonNode var : dashboard.path("templating").path("list")) {
            if ("query".equals(var.path("type").asText())) {
                JsonNode q = var.path("query");
                String query = q.isObject() ? q.path("query").asText() : q.asText();
                PromQlNames.of(query).forEach(n -> out.putIfAbsent(n, "dashboard variable $" + var.path("name").asText()));
            }
        }
        JsonNode alerts = new ObjectMapper(new YAMLFactory()).readTree(repo().resolve("deploy/prometheus/alerts.yml").toFile());
        for (JsonNode group : alerts.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                PromQlNames.of(rule.path("expr").asText()).forEach(n -> out.putIfAbsent(n, "alert " + rule.path("alert").asText()));
            }
        }
        return out;
    }

    private static void collectExprs(JsonNode panels, Map<String, String> out) {
        for (JsonNode p : panels) {
            for (JsonNode t : p.path("targets")) {
                PromQlNames.of(t.path("expr").asText()).forEach(n -> out.putIfAbsent(n, "panel '" + p.path("title").asText() + "'"));
            }
            collectExprs(p.path("panels"), out);
        }
    }

    @Test
    void everyMetricTheDashboardAndAlertsReadIsInALiveScrape() throws Exception {
        Map<String, String> referenced = referenced();
        assertTrue(referenced.size() > 20, "the dashboard and alerts should read many metrics: " + referenced);
        Set<String> live = new TreeSet<>(PromQlNames.scraped(overseer));
        live.addAll(PromQlNames.scraped(worker));
        List<String> missing = new ArrayList<>();
        referenced.forEach((name, where) -> {
            if (!PROMETHEUS.contains(name) && !live.contains(name)) {
                missing.add(name + " (" + where + ")");
            }
        });
        assertEquals(List.of(), missing, "metrics read by the dashboard or alerts but absent from the live scrapes; live: " + live);
    }

    @Test
    void theMetricsOfTheWorkThatHappenedAreNonZero() {
        List<String> zero = new ArrayList<>();
        for (String name : List.of("pipewright_tasks_dispatched_total", "pipewright_jobs_submitted_total",
                "pipewright_jobs_finished_total", "pipewright_events_processed_total", "pipewright_release_latency_seconds_count",
                "pipewright_tasks_retries_total", "pipewright_messages_deadlettered_total", "pipewright_dlq_size",
                "pipewright_workers_alive", "pipewright_queue_consumers", "jvm_memory_used_bytes")) {
            if (!(Metrics.value(overseer, name) > 0)) {
                zero.add("overseer " + name);
            }
        }
        for (String name : List.of("pipewright_tasks_started_total", "pipewright_tasks_finished_total",
                "pipewright_task_duration_seconds_count", "pipewright_task_queue_wait_seconds_count",
                "pipewright_messages_deadlettered_total", "jvm_memory_used_bytes")) {
            if (!(Metrics.value(worker, name) > 0)) {
                zero.add("worker " + name);
            }
        }
        assertEquals(List.of(), zero, "zero although the work happened");
        // 6 attempts: 4 diamond tasks, the flaky task's failure and its retry
        assertEquals(6, Metrics.value(worker, "pipewright_tasks_finished_total"), worker);
        assertEquals(1, Metrics.value(worker, "pipewright_tasks_finished_total", Map.of("processor", "fail", "outcome", "retry")), worker);
        assertEquals(2, Metrics.value(overseer, "pipewright_jobs_finished_total", Map.of("outcome", "SUCCESS")));
        assertEquals(1, Metrics.value(worker, "pipewright_messages_deadlettered_total", Map.of("pool", "default")));
        assertFalse(overseer.contains("pipewright_queue_depth{pool=\"default\"} NaN"));
    }
}
