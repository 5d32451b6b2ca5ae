package dev.pipewright.overseer.metrics;

import dev.pipewright.infra.state.OutboxEntry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OverseerMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final OverseerMetrics metrics = new OverseerMetrics(registry);

    private double count(String name, String... tags) {
        var search = registry.find(name).tags(tags);
        return search.counter() == null ? 0 : search.counter().count();
    }

    @Test
    void dispatchesAreCountedByPoolWithoutPriorityAndByProcessor() {
        metrics.dispatched(new OutboxEntry("1000-0", "gpu:high", "{}", 0, "train"), 1000, 1250);
        metrics.dispatched(new OutboxEntry("1001-0", "gpu", "{}", 1, "train"), 1001, 1002);
        metrics.dispatched(new OutboxEntry("1002-0", "default:low", "{}", 1, ""), 1002, 1002);
        assertEquals(2, count("pipewright.tasks.dispatched", "pool", "gpu", "processor", "train"));
        assertEquals(1, count("pipewright.tasks.dispatched", "pool", "default", "processor", "unknown"));
        var delay = registry.find("pipewright.outbox.delay").timer();
        assertEquals(3, delay.count());
        assertEquals(250, delay.max(java.util.concurrent.TimeUnit.MILLISECONDS), 0.001);
    }

    @Test
    void whatScriptsEndedIsCountedOnceEach() {
        metrics.ended(OutboxEntry.Ends.parse("t|default|CANCELLED|cancelled=2;t|gpu|TIMED_OUT|queue_timeout=1;j|CANCELLED=1"));
        metrics.ended(OutboxEntry.Ends.parse("j|SUCCESS=1"));
        metrics.ended(OutboxEntry.Ends.NONE);
        assertEquals(2, count("pipewright.tasks.ended", "pool", "default", "outcome", "CANCELLED", "reason", "cancelled"));
        assertEquals(1, count("pipewright.tasks.ended", "pool", "gpu", "outcome", "TIMED_OUT", "reason", "queue_timeout"));
        assertEquals(1, count("pipewright.jobs.finished", "outcome", "CANCELLED"));
        assertEquals(1, count("pipewright.jobs.finished", "outcome", "SUCCESS"));
        assertEquals(0, count("pipewright.jobs.finished", "outcome", "FAILED"));
    }

    @Test
    void jobOutcomesAndTheJvmAreExportedFromTheStart() {
        String scrape = registry.scrape();
        for (String outcome : OverseerMetrics.JOB_OUTCOMES) {
            assertTrue(scrape.contains("pipewright_jobs_finished_total{outcome=\"" + outcome + "\"} 0.0"), outcome);
        }
        for (String series : List.of("jvm_memory_used_bytes", "jvm_threads_live_threads", "jvm_gc_memory_allocated_bytes_total",
                "process_cpu_usage", "system_cpu_count", "process_uptime_seconds", "process_start_time_seconds",
                "jvm_classes_loaded_classes")) {
            assertTrue(scrape.contains("\n" + series), series + " in\n" + scrape);
        }
        metrics.close();
    }

    @Test
    void deadLettersCarryTheirPool() {
        metrics.deadLettered("gpu");
        metrics.deadLettered("unknown");
        assertEquals(1, count("pipewright.messages.deadlettered", "pool", "gpu"));
        assertEquals(1, count("pipewright.messages.deadlettered", "pool", "unknown"));
    }

    @Test
    void aPoolsRareCountersReadZeroFromTheStart() {
        String before = registry.scrape();
        assertTrue(before.contains("pipewright_messages_deadlettered_total{pool=\"unknown\"} 0.0"), before);
        metrics.registerPool("gpu");
        metrics.registerPool("gpu");
        String scrape = registry.scrape();
        assertTrue(scrape.contains("pipewright_messages_deadlettered_total{pool=\"gpu\"} 0.0"), scrape);
        for (List<String> end : OverseerMetrics.TASK_ENDS) {
            assertTrue(OverseerMetrics.TASK_END_OUTCOMES.contains(end.get(0)) && OverseerMetrics.TASK_END_REASONS.contains(end.get(1)),
                    end.toString());
            assertTrue(scrape.contains("pipewright_tasks_ended_total{outcome=\"" + end.get(0) + "\",pool=\"gpu\",reason=\""
                    + end.get(1) + "\"} 0.0"), end + " in\n" + scrape);
        }
    }

    @Test
    void jobDurationsAreRecordedByPipelineAndStatusInBucketsUpToAWeek() {
        metrics.ended(OutboxEntry.Ends.parse("j|SUCCESS=1;J|SUCCESS|nightly|7200000=1;j|FAILED=2;J|FAILED|nightly|90000=2"));
        var success = registry.find("pipewright.job.duration").tags("pipeline", "nightly", "status", "SUCCESS").timer();
        assertEquals(1, success.count());
        assertEquals(7200, success.totalTime(java.util.concurrent.TimeUnit.SECONDS), 0.001);
        assertEquals(2, registry.find("pipewright.job.duration").tags("pipeline", "nightly", "status", "FAILED").timer().count());
        String scrape = registry.scrape();
        assertTrue(scrape.contains("pipewright_job_duration_seconds_bucket{pipeline=\"nightly\",status=\"SUCCESS\",le=\"3600.0\"} 0"), scrape);
        assertTrue(scrape.contains("pipewright_job_duration_seconds_bucket{pipeline=\"nightly\",status=\"SUCCESS\",le=\"7200.0\"} 1"), scrape);
        assertTrue(scrape.contains("pipewright_job_duration_seconds_bucket{pipeline=\"nightly\",status=\"SUCCESS\",le=\"604800.0\"} 1"), scrape);
    }
}
