package dev.pipewright.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.metrics.Buckets;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.worker.runtime.WorkerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The promtool tests of the alert rules (deploy/prometheus/alerts.test.yml) feed only series the
 * code really exports: every metric is one the code registers, and every histogram bucket's
 * {@code le} and every label is one a live registry shows. (They once fed buckets of 600 s and
 * 1800 s to an alert while the code's histograms stopped at 30 s, and passed.)
 */
class AlertTestSeriesTest {
    private static final Pattern SERIES = Pattern.compile("^\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(?:\\{(.*)})?\\s*$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? \\S+.*$");
    /** Labels Prometheus adds to every scraped series. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

    /** Series name (as scraped) → label names; and for {@code *_bucket}, name → {@code le} values. */
    static final Map<String, Set<String>> LIVE_LABELS = new TreeMap<>();
    static final Map<String, Set<String>> LIVE_LE = new TreeMap<>();

    @BeforeAll
    static void scrapeLiveRegistries() {
        PrometheusMeterRegistry overseerRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OverseerMetrics overseer = new OverseerMetrics(overseerRegistry);
        overseer.registerPool("default");
        overseer.dispatched(new OutboxEntry("1-0", "default", "{}", 0, "identity"), 0, 5);
        overseer.event(false, 0, 3);
        overseer.releaseLatency(12);
        overseer.ended(OutboxEntry.Ends.parse("j|SUCCESS=1;J|SUCCESS|diamond|1500=1"));
        overseer.shardServed(0, "overseer-a", true);
        overseer.shardEvents(0, 1);
        overseer.deadLettered("default");
        PrometheusMeterRegistry workerRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        WorkerMetrics worker = new WorkerMetrics(workerRegistry);
        worker.registerPools(List.of("default"));
        worker.registerProcessors(List.of("default"), List.of("identity"));
        worker.registerOldestAttempt(List.of("default"), pool -> 0);
        worker.started("default", "identity", Duration.ofMillis(20));
        worker.finished("default", "identity", "ok", Duration.ofMillis(30));
        for (String text : List.of(overseerRegistry.scrape(), workerRegistry.scrape())) {
            for (String line : text.split("\n")) {
                Matcher m = SAMPLE.matcher(line);
                if (line.startsWith("#") || !m.matches()) {
                    continue;
                }
                Map<String, String> labels = labels(m.group(2));
                LIVE_LABELS.computeIfAbsent(m.group(1), k -> new TreeSet<>()).addAll(labels.keySet());
                if (labels.containsKey("le")) {
                    LIVE_LE.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(labels.get("le"));
                }
            }
        }
        overseer.close();
        worker.close();
        MetricNamesTest.collect();
    }

    static Map<String, String> labels(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text != null) {
            Matcher l = LABEL.matcher(text);
            while (l.find()) {
                out.put(l.group(1), l.group(2));
            }
        }
        return out;
    }

    @Test
    void theLiveRegistryShowsTheBucketsTheCodeDeclares() {
        Set<String> task = LIVE_LE.get("pipewright_task_queue_wait_seconds_bucket");
        assertTrue(task != null && task.contains("86400.0") && task.contains("+Inf"), "queue wait buckets: " + task);
        assertEquals(Buckets.TASK.seconds().size() + 1, task.size(), "one bucket per boundary and +Inf: " + task);
        assertEquals(task, LIVE_LE.get("pipewright_task_duration_seconds_bucket"));
        assertTrue(LIVE_LE.get("pipewright_job_duration_seconds_bucket").contains("604800.0"), LIVE_LE.toString());
        assertTrue(LIVE_LE.get("pipewright_release_latency_seconds_bucket").contains("600.0"), LIVE_LE.toString());
    }

    @Test
    void ruleTestsFeedOnlySeriesTheCodeExports() {
        JsonNode tests = Repo.yaml("deploy/prometheus/alerts.test.yml");
        List<String> problems = new ArrayList<>();
        int buckets = 0;
        for (JsonNode test : tests.path("tests")) {
            for (JsonNode input : test.path("input_series")) {
                String series = input.path("series").asText();
                Matcher m = SERIES.matcher(series);
                if (!m.matches()) {
                    problems.add("cannot read series " + series);
                    continue;
                }
                String name = m.group(1);
                Map<String, String> labels = labels(m.group(2));
                if (!MetricNamesTest.KNOWN.contains(name)) {
                    problems.add(series + ": no such metric in the code");
                    continue;
                }
                Set<String> liveLabels = LIVE_LABELS.get(name);
                if (liveLabels != null) {
                    for (String label : labels.keySet()) {
                        if (!TARGET_LABELS.contains(label) && !liveLabels.contains(label)) {
                            problems.add(series + ": label " + label + " is not exported (exported: " + liveLabels + ")");
                        }
                    }
                }
                if (name.endsWith("_bucket")) {
                    buckets++;
                    Set<String> le = LIVE_LE.get(name);
                    if (le == null) {
                        problems.add(series + ": the code exports no buckets of " + name);
                    } else if (!le.contains(labels.get("le"))) {
                        problems.add(series + ": le=\"" + labels.get("le") + "\" is not a bucket the code exports; it exports " + le);
                    }
                }
            }
        }
        assertTrue(buckets >= 6, "the rule tests should feed histogram buckets (TaskRunningLong, QueueWaitHigh)");
        Repo.noProblems("deploy/prometheus/alerts.test.yml", problems);
    }

    @Test
    void theCheckSeesABucketTheCodeDoesNotExport() {
        Set<String> le = LIVE_LE.get("pipewright_task_duration_seconds_bucket");
        assertTrue(le.contains("1800.0") && !le.contains("1700.0") && !le.contains("1800"), le.toString());
    }
}
