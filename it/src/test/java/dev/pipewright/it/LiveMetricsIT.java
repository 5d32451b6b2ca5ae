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
 * After real work of every kind the metrics speak of, every metric the Grafana dashboard and the
 * alert rules read is in a live scrape of the overseer or a worker (no panel or alert points at
 * nothing), and the metrics of what happened are non-zero, with exact counts where the count is
 * the point (each job finished once, whichever script ended it).
 *
 * <p>The work: a diamond and a task that fails once (retry); a re-run of the diamond that reuses
 * every output (ends inside submit.lua); a built job cancelled before it started (ends inside
 * stop.lua) and a running sleep cancelled (its queued child cancelled by the overseer); a running
 * attempt whose task is taken from it (fenced, then the sweeper re-dispatches on the lost lease);
 * a task message delivered twice (duplicate); an unreadable message (dead letter); with the pool
 * paused, a task that waits (queue depth and age seen by the probes) and one that passes its
 * queueTimeout (TIMED_OUT by the overseer, its child SKIPPED).
 */
class LiveMetricsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Prometheus's own series: never in an application's scrape. */
    private static final Set<String> PROMETHEUS = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added");

    private static final java.util.regex.Pattern EXPORTER_JOB = java.util.regex.Pattern.compile("job=\"(rabbitmq|redis)\"");

    static Cluster cluster;
    static String overseer;
    static String worker;
    /** The worker's scrape while two attempts ran. */
    static String workerBusy;
    /** The overseer's scrape while the paused pool held a waiting task. */
    static String overseerQueued;

    @BeforeAll
    static void runWork() throws Exception {
        long t0 = System.nanoTime();
        cluster = Cluster.builder().workers(1).concurrency(4).workerMetrics(true).lease(Duration.ofSeconds(2))
                .overseerSetting("PW_PROBE_INTERVAL", "500ms").start();
        cluster.postPipeline(Files.readString(repo().resolve("examples/diamond/pipeline.yaml")));
        cluster.postPipeline("""
                name: flaky
                dataNodes: {raw: {}, out: {}}
                processNodes:
                  wobble:
                    input: raw
                    output: out
                    processor: fail
                    config: {times: 1}
                    retries: {max: 2, backoff: fixed, initial: 50ms}
                """);
        cluster.postPipeline("""
                name: nap
                dataNodes: {seed: {}, x: {}, y: {}}
                processNodes:
                  nap: {input: [seed], output: [x], processor: sleep, config: {ms: 20000}}
                  after: {input: [x], output: [y], processor: identity}
                """);
        cluster.postPipeline("""
                name: stolen
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  nap: {input: [seed], output: [x], processor: sleep, config: {ms: 1500}}
                """);
        cluster.postPipeline("""
                name: waits
                dataNodes: {seed: {}, x: {}, y: {}}
                processNodes:
                  waits: {input: [seed], output: [x], processor: identity, queueTimeout: 1s}
                  after: {input: [x], output: [y], processor: identity}
                """);
        cluster.postPipeline("""
                name: queued
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  one: {input: [seed], output: [x], processor: identity}
                """);

        String diamond = cluster.submit("diamond", "{\"inputs\": {\"seed\": \"s\"}}");
        String flaky = cluster.submit("flaky", "{\"inputs\": {\"raw\": \"r\"}}");
        String nap = cluster.submit("nap", "{\"inputs\": {\"seed\": \"s\"}}");
        String stolen = cluster.submit("stolen", "{\"inputs\": {\"seed\": \"s\"}}");
        String built = cluster.submit("diamond", "{\"inputs\": {\"seed\": \"b\"}, \"start\": false}");

        // a lost lease: the task is taken from its running attempt (as if the worker had been cut off);
        // the attempt's renewal is refused, it stops, its commit is fenced, its lease expires and the
        // sweeper dispatches the task again
        cluster.awaitTask(stolen, "nap", "RUNNING", WAIT);
        cluster.redis().hset(cluster.taskKey(stolen, "nap"), "attempt", "taken-by-the-test");
        cluster.awaitTask(nap, "nap", "RUNNING", WAIT);
        workerBusy = cluster.workerMetrics(0);

        JsonNode cancelled = cluster.post("/api/v1/jobs/" + built + "/cancel", "{}", "application/json").json();
        assertEquals("CANCELLED", cancelled.path("status").asText(), "a job that never started ends at once: " + cancelled);
        cluster.post("/api/v1/jobs/" + nap + "/cancel", "{}", "application/json");
        assertEquals("CANCELLED", cluster.awaitJob(nap, WAIT).path("status").asText());

        assertEquals("SUCCESS", cluster.awaitJob(diamond, WAIT).path("status").asText());
        JsonNode f = cluster.awaitJob(flaky, WAIT);
        assertEquals("SUCCESS", f.path("status").asText(), f.toString());
        assertEquals(2, Cluster.task(f, "wobble").path("attempts").asInt(), f.toString());
        Cluster.Response retry = cluster.post("/api/v1/jobs/" + diamond + "/retry", "{}", "application/json");
        assertEquals(202, retry.status(), retry.toString());
        JsonNode rerun = cluster.awaitJob(retry.json().path("id").asText(), WAIT);
        assertEquals("SUCCESS", rerun.path("status").asText(), "a re-run of a job that succeeded reuses everything: " + rerun);

        // the same task message delivered twice: the claim drops the copy
        String dispatch = cluster.redis().hget(cluster.taskKey(diamond, "a"), "dispatch");
        cluster.publish(cluster.keys().taskExchange(), "default", "{\"type\":\"task\",\"v\":1,\"job\":\"" + diamond + "\",\"shard\":"
                + cluster.shardOf(diamond) + ",\"node\":\"a\",\"dispatch\":" + dispatch + "}");
        // a dead letter: a worker rejects a message it cannot read
        cluster.publish(cluster.keys().taskExchange(), "default", "not a task message");
        Cluster.await("the duplicate to be dropped", WAIT,
                () -> Metrics.value(cluster.workerMetrics(0), "pipewright_messages_duplicates_total") >= 1);
        Cluster.await("the dead letter to be recorded", WAIT,
                () -> cluster.get("/api/v1/admin/dlq").json().path("total").asInt() == 1);

        JsonNode s = cluster.awaitJob(stolen, WAIT);
        assertEquals("SUCCESS", s.path("status").asText(), s.toString());
        assertEquals(2, Cluster.task(s, "nap").path("attempts").asInt(), "dispatched again after the lost lease: " + s);

        // with the pool paused, one task waits in its queue and one passes its queueTimeout
        JsonNode drained = cluster.post("/api/v1/admin/pools/default/drain?timeout=20", "{}", "application/json").json();
        assertTrue(drained.path("drained").asBoolean(), drained.toString());
        String queued = cluster.submit("queued", "{\"inputs\": {\"seed\": \"q\"}}");
        String waits = cluster.submit("waits", "{\"inputs\": {\"seed\": \"w\"}}");
        JsonNode w = cluster.awaitJob(waits, WAIT);
        assertEquals("FAILED", w.path("status").asText(), w.toString());
        assertEquals("SKIPPED", Cluster.task(w, "after").path("status").asText(), w.toString());
        // the probes read the queues every PW_PROBE_INTERVAL
        Cluster.await("the probes to see the waiting task", WAIT, () -> {
            String text = cluster.overseerMetrics();
            return Metrics.value(text, "pipewright_queue_depth", Map.of("pool", "default")) >= 1
                    && Metrics.value(text, "pipewright_queue_oldest_age_seconds", Map.of("pool", "default")) >= 1
                    && Metrics.value(text, "pipewright_pool_paused", Map.of("pool", "default")) == 1;
        });
        overseerQueued = cluster.overseerMetrics();
        cluster.post("/api/v1/admin/pools/default/resume", "{}", "application/json");
        assertEquals("SUCCESS", cluster.awaitJob(queued, WAIT).path("status").asText());

        Cluster.await("the probes to see the dead letter and the worker", WAIT, () -> {
            String text = cluster.overseerMetrics();
            return Metrics.value(text, "pipewright_dlq_size") > 0 && Metrics.value(text, "pipewright_workers_alive") > 0
                    && Metrics.value(text, "pipewright_queue_consumers") > 0;
        });
        overseer = cluster.overseerMetrics();
        worker = cluster.workerMetrics(0);
        System.out.println("LiveMetricsIT: the work took " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
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
                if (EXPORTER_JOB.matcher(t.path("expr").asText()).find()) {
                    continue; // RabbitMQ's and Redis's own exporters: not a Pipewright process's scrape
                }
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

    private static void nonZero(List<String> zero, String who, String text, String name, Map<String, String> labels) {
        if (!(Metrics.value(text, name, labels) > 0)) {
            zero.add(who + " " + name + (labels.isEmpty() ? "" : labels.toString()));
        }
    }

    @Test
    void theMetricsOfTheWorkThatHappenedAreNonZero() {
        List<String> zero = new ArrayList<>();
        for (String name : List.of("pipewright_tasks_dispatched_total", "pipewright_jobs_submitted_total",
                "pipewright_jobs_finished_total", "pipewright_events_processed_total",
                "pipewright_release_latency_seconds_count", "pipewright_release_latency_seconds_bucket",
                "pipewright_outbox_delay_seconds_count", "pipewright_outbox_delay_seconds_bucket",
                "pipewright_events_delay_seconds_count", "pipewright_events_delay_seconds_bucket",
                "pipewright_tasks_retries_total", "pipewright_sweeper_redispatches_total", "pipewright_tasks_ended_total",
                "pipewright_messages_deadlettered_total", "pipewright_dlq_size",
                "pipewright_workers_alive", "pipewright_queue_consumers", "jvm_memory_used_bytes", "jvm_classes_loaded_classes",
                "process_uptime_seconds", "system_cpu_count", "jvm_threads_live_threads")) {
            nonZero(zero, "overseer", overseer, name, Map.of());
        }
        for (String outcome : List.of("SUCCESS", "FAILED", "CANCELLED")) {
            nonZero(zero, "overseer", overseer, "pipewright_jobs_finished_total", Map.of("outcome", outcome));
        }
        nonZero(zero, "overseer", overseer, "pipewright_tasks_dispatched_total", Map.of("pool", "default", "processor", "sleep"));
        nonZero(zero, "overseer(paused)", overseerQueued, "pipewright_queue_depth", Map.of("pool", "default"));
        nonZero(zero, "overseer(paused)", overseerQueued, "pipewright_queue_oldest_age_seconds", Map.of("pool", "default"));
        for (String name : List.of("pipewright_tasks_started_total", "pipewright_tasks_finished_total",
                "pipewright_task_duration_seconds_count", "pipewright_task_duration_seconds_bucket",
                "pipewright_task_queue_wait_seconds_count", "pipewright_task_queue_wait_seconds_bucket",
                "pipewright_messages_duplicates_total", "pipewright_attempts_fenced_total",
                "pipewright_messages_deadlettered_total", "jvm_memory_used_bytes", "process_uptime_seconds")) {
            nonZero(zero, "worker", worker, name, Map.of());
        }
        for (String outcome : List.of("SUCCESS", "CANCELLED", "retry")) {
            nonZero(zero, "worker", worker, "pipewright_tasks_finished_total", Map.of("outcome", outcome));
        }
        nonZero(zero, "worker(busy)", workerBusy, "pipewright_worker_inflight", Map.of());
        nonZero(zero, "worker(busy)", workerBusy, "pipewright_attempts_oldest_age_seconds", Map.of("pool", "default"));
        assertEquals(List.of(), zero, "zero although the work happened");
        assertFalse(overseer.contains("pipewright_queue_depth{pool=\"default\"} NaN"));
    }

    @Test
    void eachJobIsCountedOnceWhereverItEndedAndEachTaskEndOnce() {
        // submitted: diamond, flaky, nap, stolen, built, the re-run, queued, waits
        assertEquals(8, Metrics.value(overseer, "pipewright_jobs_submitted_total"), overseer);
        // diamond, flaky, stolen, queued, and the re-run (ended inside submit.lua)
        assertEquals(5, Metrics.value(overseer, "pipewright_jobs_finished_total", Map.of("outcome", "SUCCESS")), overseer);
        // nap (ended by the release of its cancelled attempt) and built (ended inside stop.lua)
        assertEquals(2, Metrics.value(overseer, "pipewright_jobs_finished_total", Map.of("outcome", "CANCELLED")), overseer);
        assertEquals(1, Metrics.value(overseer, "pipewright_jobs_finished_total", Map.of("outcome", "FAILED")), overseer);

        // attempts whose end the task took, by what a user sees: 4 diamond, flaky's retry and success,
        // stolen's second attempt, queued; nap's cancelled attempt
        assertEquals(7, Metrics.value(worker, "pipewright_tasks_finished_total", Map.of("outcome", "SUCCESS")), worker);
        assertEquals(1, Metrics.value(worker, "pipewright_tasks_finished_total", Map.of("processor", "fail", "outcome", "retry")), worker);
        assertEquals(1, Metrics.value(worker, "pipewright_tasks_finished_total", Map.of("processor", "sleep", "outcome", "CANCELLED")));
        assertEquals(9, Metrics.value(worker, "pipewright_tasks_finished_total"), worker);
        assertEquals(1, Metrics.value(worker, "pipewright_attempts_fenced_total", Map.of("pool", "default")), worker);

        // tasks the overseer ended: built's four and nap's child cancelled, waits timed out, its child skipped
        assertEquals(5, Metrics.value(overseer, "pipewright_tasks_ended_total", Map.of("outcome", "CANCELLED", "reason", "cancelled")));
        assertEquals(1, Metrics.value(overseer, "pipewright_tasks_ended_total", Map.of("outcome", "TIMED_OUT", "reason", "queue_timeout")));
        assertEquals(1, Metrics.value(overseer, "pipewright_tasks_ended_total", Map.of("outcome", "SKIPPED", "reason", "upstream_failed")));
        assertEquals(7, Metrics.value(overseer, "pipewright_tasks_ended_total", Map.of("pool", "default")), overseer);
        assertEquals(1, Metrics.value(overseer, "pipewright_sweeper_redispatches_total"), overseer);

        assertEquals(1, Metrics.value(worker, "pipewright_messages_deadlettered_total", Map.of("pool", "default")));
        assertEquals(1, Metrics.value(overseer, "pipewright_messages_deadlettered_total", Map.of("pool", "default")), overseer);
        assertFalse(overseer.contains("pool=\"any\""), "dead letters carry their pool");
    }

    @Test
    void theClientLibrariesExportTheirOwnMetrics() {
        List<String> missing = new ArrayList<>();
        for (String series : List.of("vertx_http_server_requests_total", "rabbitmq_published_total", "rabbitmq_connections",
                "lettuce_command_completion_seconds_count")) {
            if (!(Metrics.value(overseer, series) > 0)) {
                missing.add("overseer " + series);
            }
        }
        for (String series : List.of("rabbitmq_consumed_total", "rabbitmq_acknowledged_total", "rabbitmq_connections",
                "lettuce_command_completion_seconds_count")) {
            if (!(Metrics.value(worker, series) > 0)) {
                missing.add("worker " + series);
            }
        }
        assertEquals(List.of(), missing, "client library metrics (Vert.x HTTP server, RabbitMQ client, Lettuce commands)");
    }
}
