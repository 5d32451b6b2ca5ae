package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.OwnRabbit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Prometheus (the {@code prometheus} binary: Debian's package, which .ci/run installs)
 * scrapes a live overseer and workers, a RabbitMQ node of the test's own (with its
 * rabbitmq_prometheus plugin) and redis_exporter, while Pipewright does work of every outcome: success, failure, a
 * retry, a dead letter, a cancellation and a long queue wait. Then, through its HTTP API: every
 * expression of the Grafana dashboard returns data, every alert rule evaluates without error, and
 * {@code PipewrightQueueWaitHigh}, {@code PipewrightMessagesDeadLettered},
 * {@code PipewrightWorkerDown} and {@code PipewrightPoolWithoutWorkers} fire. The rules are a copy generated from deploy/prometheus/alerts.yml
 * with every {@code for} dropped and the thresholds in {@link #TEST_THRESHOLDS} lowered, so they
 * fire within seconds. Without Prometheus the test fails: it is the check that the metrics, the
 * rules and the dashboard fit together.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrometheusIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Dashboard variables as a user sees them with "All" selected. */
    private static final Map<String, String> VARIABLES = Map.of("$__rate_interval", "2m", "$pool", ".*");
    /** Rules whose threshold the test copy lowers (from the real text: the replacement must change it). */
    private static final Map<String, UnaryOperator<String>> TEST_THRESHOLDS = Map.of(
            // p95 above 30 s would take a 30 s wait; the workload's long wait is about 4 s
            "PipewrightQueueWaitHigh", expr -> expr.replace("> 30", "> 2"));

    static Cluster cluster;
    static Process prometheus;
    static Process redisExporter;
    static OwnRabbit rabbit;
    static Path dir;
    static URI api;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static int spareWorker;
    static int lateWorker;

    @BeforeAll
    static void start() throws Exception {
        long t0 = System.nanoTime();
        dir = Files.createTempDirectory("pw-prometheus-it-");
        // a RabbitMQ node of its own with the rabbitmq_prometheus plugin (the machine's broker is left alone),
        // and redis_exporter on the test Redis: the dashboard's RabbitMQ and Redis rows are checked too
        rabbit = OwnRabbit.startWithPrometheus();
        cluster = Cluster.builder().rabbitUri(rabbit.uri()).workers(1).concurrency(4).workerMetrics(true).lease(Duration.ofSeconds(2))
                .overseerSetting("PW_PROBE_INTERVAL", "500ms").start();
        cluster.trackPool("late");
        lateWorker = cluster.addWorker(Map.of("PW_POOLS", "late"));
        spareWorker = cluster.addWorker(Map.of());

        Path rules = dir.resolve("rules.yml");
        Files.writeString(rules, testRules(Files.readString(LiveMetricsIT.repo().resolve("deploy/prometheus/alerts.yml"))));
        promtool("check", "rules", rules.toString());
        // the rules' own unit tests, on the real file (they may only use series the code exports: AlertTestSeriesTest)
        promtool("test", "rules", LiveMetricsIT.repo().resolve("deploy/prometheus/alerts.test.yml").toString());
        StringBuilder workers = new StringBuilder();
        for (int i = 0; i < cluster.workerCount(); i++) {
            workers.append(i == 0 ? "" : ", ").append("'127.0.0.1:").append(cluster.workerMetricsPort(i)).append("'");
        }
        int exporterPort = startRedisExporter();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global: {scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms}
                rule_files: ['%s']
                scrape_configs:
                  - job_name: overseer
                    static_configs: [{targets: ['127.0.0.1:%d']}]
                  - job_name: worker
                    static_configs: [{targets: [%s]}]
                  - job_name: redis
                    static_configs: [{targets: ['127.0.0.1:%d']}]
                  - job_name: rabbitmq
                    static_configs: [{targets: ['127.0.0.1:%d']}]
                """.formatted(rules, cluster.baseUri().getPort(), workers, exporterPort, rabbit.prometheusPort()));
        startPrometheus(config);

        String nightly = """
                name: %s
                dataNodes: {raw: {}, out: {}}
                processNodes:
                  step:
                    input: raw
                    output: out
                    processor: fail
                    config: {times: %d}
                    retries: {max: 2, backoff: fixed, initial: 50ms}
                """;
        cluster.postPipeline(nightly.formatted("flaky", 1));
        cluster.postPipeline(nightly.formatted("broken", 100));
        cluster.postPipeline(Files.readString(LiveMetricsIT.repo().resolve("examples/diamond/pipeline.yaml")));
        cluster.postPipeline("""
                name: nap
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  nap: {input: [seed], output: [x], processor: sleep, config: {ms: 20000}}
                """);
        cluster.postPipeline("""
                name: late
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  one: {input: [seed], output: [x], processor: identity, pool: late}
                """);

        // the dead-letter counter must be seen at zero first: increase() needs a sample before the first one
        awaitQuery("the dead-letter counter of pool default at zero", "pipewright_messages_deadlettered_total{job=\"overseer\",pool=\"default\"} == 0");
        awaitQuery("the late pool known to the overseer", "pipewright_workers_alive{pool=\"late\"} == 1");

        // a long queue wait: pool late is paused while its tasks are queued
        JsonNode drained = cluster.post("/api/v1/admin/pools/late/drain?timeout=20", "{}", "application/json").json();
        assertTrue(drained.path("drained").asBoolean(), drained.toString());
        List<String> lateJobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            lateJobs.add(cluster.submit("late", "{\"inputs\": {\"seed\": \"l" + i + "\"}}"));
        }
        String diamond = cluster.submit("diamond", "{\"inputs\": {\"seed\": \"s\"}}");
        String flaky = cluster.submit("flaky", "{\"inputs\": {\"raw\": \"r\"}}");
        String broken = cluster.submit("broken", "{\"inputs\": {\"raw\": \"r\"}}");
        String nap = cluster.submit("nap", "{\"inputs\": {\"seed\": \"s\"}}");
        cluster.awaitTask(nap, "nap", "RUNNING", WAIT);
        cluster.post("/api/v1/jobs/" + nap + "/cancel", "{}", "application/json");
        // a dead letter: a worker rejects a message it cannot read
        cluster.publish(cluster.keys().taskExchange(), "default", "not a task message");

        assertEquals("SUCCESS", cluster.awaitJob(diamond, WAIT).path("status").asText());
        JsonNode f = cluster.awaitJob(flaky, WAIT);
        assertEquals("SUCCESS", f.path("status").asText(), f.toString());
        assertEquals("FAILED", cluster.awaitJob(broken, WAIT).path("status").asText());
        assertEquals("CANCELLED", cluster.awaitJob(nap, WAIT).path("status").asText());
        Cluster.sleep(4000);
        cluster.post("/api/v1/admin/pools/late/resume", "{}", "application/json");
        for (String job : lateJobs) {
            assertEquals("SUCCESS", cluster.awaitJob(job, WAIT).path("status").asText());
        }
        Cluster.await("the dead letter to be recorded", WAIT, () -> cluster.get("/api/v1/admin/dlq").json().path("total").asInt() == 1);
        // every counter's last increment scraped, and a rate window with samples on both sides
        Cluster.sleep(3000);
        System.out.println("PrometheusIT: the work took " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process p : new Process[] {prometheus, redisExporter}) {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        if (cluster != null) {
            cluster.close();
        }
        if (rabbit != null) {
            rabbit.close();
        }
    }

    /** The alert rules with every {@code for} dropped and the thresholds of {@link #TEST_THRESHOLDS} lowered. */
    static String testRules(String real) throws IOException {
        JsonNode doc = YAML.readTree(real);
        Map<String, Boolean> changed = new LinkedHashMap<>();
        TEST_THRESHOLDS.keySet().forEach(k -> changed.put(k, false));
        for (JsonNode group : doc.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                ObjectNode r = (ObjectNode) rule;
                r.remove("for");
                UnaryOperator<String> lower = TEST_THRESHOLDS.get(r.path("alert").asText());
                if (lower != null) {
                    String expr = r.path("expr").asText();
                    String lowered = lower.apply(expr);
                    changed.put(r.path("alert").asText(), !lowered.equals(expr));
                    r.put("expr", lowered);
                }
            }
        }
        changed.forEach((alert, did) -> assertTrue(did, "the test copy could not lower the threshold of " + alert
                + " in deploy/prometheus/alerts.yml: adjust PrometheusIT.TEST_THRESHOLDS to the rule"));
        return YAML.writeValueAsString(doc);
    }

    static String tool(String name) {
        for (String dirName : (System.getenv("PATH") + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/usr/local/bin")
                .split(File.pathSeparator)) {
            Path p = Path.of(dirName, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError(name + " is not installed (not on PATH): this test needs a real Prometheus and redis_exporter. Install"
                + " Debian's packages (apt-get install prometheus prometheus-redis-exporter; .ci/run does) or put the binaries on PATH");
    }

    static void promtool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(tool("promtool")));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + " failed:\n" + out);
    }

    /** redis_exporter on the test Redis, on a free port; returns the port. */
    static int startRedisExporter() throws Exception {
        String binary = tool("prometheus-redis-exporter");
        URI redis = dev.pipewright.infra.testing.TestServices.redisUri();
        int port = Cluster.freePort();
        redisExporter = new ProcessBuilder(binary, "-redis.addr=redis://" + redis.getHost() + ":" + (redis.getPort() < 0 ? 6379 : redis.getPort()),
                "-web.listen-address=127.0.0.1:" + port).redirectErrorStream(true).redirectOutput(dir.resolve("redis-exporter.log").toFile())
                .start();
        return port;
    }

    static void startPrometheus(Path config) throws Exception {
        String binary = tool("prometheus");
        Path log = dir.resolve("prometheus.log");
        for (int tries = 0; tries < 3; tries++) {
            int port = Cluster.freePort();
            prometheus = new ProcessBuilder(binary, "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port, "--storage.tsdb.retention.time=1h", "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            api = URI.create("http://127.0.0.1:" + port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (prometheus.isAlive() && System.nanoTime() < deadline) {
                try {
                    if (HTTP.send(HttpRequest.newBuilder(api.resolve("/-/ready")).GET().build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            prometheus.destroyForcibly();
        }
        throw new AssertionError("Prometheus (" + binary + ") did not start and answer /-/ready; its log:\n" + Files.readString(log));
    }

    static JsonNode get(String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(api.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
                throw new AssertionError("Prometheus answered " + r.statusCode() + " to " + path + ": " + r.body());
            }
            return body.path("data");
        } catch (IOException e) {
            throw new AssertionError("Prometheus did not answer " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static JsonNode query(String promql) {
        return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).path("result");
    }

    static void awaitQuery(String what, String promql) {
        Cluster.await(what + " (" + promql + ")", WAIT, () -> !query(promql).isEmpty());
    }

    static String substitute(String expr) {
        String out = expr;
        for (var v : VARIABLES.entrySet()) {
            out = out.replace(v.getKey(), v.getValue());
        }
        assertTrue(!out.contains("$"), "a dashboard variable this test does not know in: " + expr);
        return out;
    }

    static void collect(JsonNode panels, Map<String, String> out) {
        for (JsonNode p : panels) {
            int i = 0;
            for (JsonNode t : p.path("targets")) {
                out.put("'" + p.path("title").asText() + "' #" + (++i), t.path("expr").asText());
            }
            collect(p.path("panels"), out);
        }
    }

    @Test
    void everyDashboardExpressionReturnsData() throws Exception {
        JsonNode dashboard = JSON.readTree(LiveMetricsIT.repo().resolve("deploy/grafana/dashboards/pipewright.json").toFile());
        Map<String, String> exprs = new LinkedHashMap<>();
        collect(dashboard.path("panels"), exprs);
        for (JsonNode var : dashboard.path("templating").path("list")) {
            if ("query".equals(var.path("type").asText())) {
                JsonNode q = var.path("query");
                String query = q.isObject() ? q.path("query").asText() : q.asText();
                var m = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)").matcher(query);
                assertTrue(m.matches(), "variable $" + var.path("name").asText() + ": " + query);
                exprs.put("variable $" + var.path("name").asText(), m.group(1));
            }
        }
        List<String> empty = new ArrayList<>();
        for (var e : exprs.entrySet()) {
            if (query(substitute(e.getValue())).isEmpty()) {
                empty.add(e.getKey() + ": " + e.getValue());
            }
        }
        System.out.println("PrometheusIT: " + exprs.size() + " dashboard expressions checked");
        assertEquals(List.of(), empty, "dashboard expressions without data");
        // the pool variable lists a pool the moment the overseer knows it, workers or not
        JsonNode pools = query("group by (pool) (pipewright_queue_oldest_age_seconds)");
        assertTrue(pools.toString().contains("\"late\"") && pools.toString().contains("\"default\""), pools.toString());
    }

    @Test
    void everyAlertRuleEvaluatesWithoutError() {
        Cluster.await("every rule evaluated once", WAIT, () -> {
            for (JsonNode g : get("/api/v1/rules").path("groups")) {
                for (JsonNode r : g.path("rules")) {
                    if ("unknown".equals(r.path("health").asText())) {
                        return false;
                    }
                }
            }
            return true;
        });
        List<String> bad = new ArrayList<>();
        int n = 0;
        for (JsonNode g : get("/api/v1/rules").path("groups")) {
            for (JsonNode r : g.path("rules")) {
                n++;
                if (!"ok".equals(r.path("health").asText())) {
                    bad.add(r.path("name").asText() + ": " + r.path("health").asText() + " " + r.path("lastError").asText());
                }
            }
        }
        assertTrue(n >= 15, "the rules loaded: " + n);
        assertEquals(List.of(), bad, "rules that failed to evaluate");
    }

    @Test
    void queueWaitAndDeadLetterAlertsFire() {
        String p95 = "histogram_quantile(0.95, sum by (pool, le) (rate(pipewright_task_queue_wait_seconds_bucket[5m])))";
        try {
            awaitFiring("PipewrightQueueWaitHigh", "late");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; " + p95 + " = " + query(p95), e);
        }
        awaitFiring("PipewrightMessagesDeadLettered", null);
    }

    /** Last: it stops workers. */
    @Test
    @Order(Integer.MAX_VALUE)
    void stoppedWorkersFireWorkerDownAndAPoolWithoutWorkersStaysSelectable() {
        cluster.stopWorker(spareWorker);
        awaitFiring("PipewrightWorkerDown", null);
        cluster.stopWorker(lateWorker);
        awaitFiring("PipewrightPoolWithoutWorkers", "late");
        awaitQuery("pool late, now without workers, still listed by the dashboard's pool variable",
                "group by (pool) (pipewright_queue_oldest_age_seconds{pool=\"late\"})");
    }

    static void awaitFiring(String alert, String pool) {
        ArrayNode last = JSON.createArrayNode();
        try {
            Cluster.await(alert + " to fire" + (pool == null ? "" : " for pool " + pool), WAIT, () -> {
                last.removeAll();
                for (JsonNode a : get("/api/v1/alerts").path("alerts")) {
                    last.add(a);
                    if (alert.equals(a.path("labels").path("alertname").asText()) && "firing".equals(a.path("state").asText())
                            && (pool == null || pool.equals(a.path("labels").path("pool").asText()))) {
                        return true;
                    }
                }
                return false;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; active alerts: " + last, e);
        }
    }
}
