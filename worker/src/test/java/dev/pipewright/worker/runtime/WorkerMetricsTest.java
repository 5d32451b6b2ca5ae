package dev.pipewright.worker.runtime;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final WorkerMetrics metrics = new WorkerMetrics(registry);

    private double count(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void everyCommitReplyTheTaskTookIsAnOutcomeAUserSees() {
        // the replies commit.lua gives (see its header): ok, retry, ended:<state>
        assertEquals("SUCCESS", WorkerMetrics.outcome("ok"));
        assertEquals("retry", WorkerMetrics.outcome("retry"));
        assertEquals("FAILED", WorkerMetrics.outcome("ended:FAILED"));
        assertEquals("TIMED_OUT", WorkerMetrics.outcome("ended:TIMED_OUT"));
        assertEquals("CANCELLED", WorkerMetrics.outcome("ended:CANCELLED"));
        assertThrows(IllegalArgumentException.class, () -> WorkerMetrics.outcome("ended:RUNNING"));
        assertThrows(IllegalArgumentException.class, () -> WorkerMetrics.outcome("ended"));
    }

    @Test
    void finishedAttemptsAreCountedByOutcomeAndTheRestInTheirOwnCounters() {
        metrics.registerPools(List.of("default"));
        metrics.finished("default", "sleep", "ok", Duration.ofMillis(20));
        metrics.finished("default", "sleep", "ended:CANCELLED", Duration.ofMillis(20));
        metrics.finished("default", "fail", "retry", Duration.ofMillis(5));
        metrics.finished("default", "sleep", "fenced", Duration.ofMillis(5));
        metrics.finished("default", "sleep", "handback", Duration.ofMillis(5));
        metrics.finished("default", "sleep", "uncommitted", Duration.ofMillis(5));
        metrics.ended("default", "identity", "ended:FAILED");
        assertEquals(1, count("pipewright.tasks.finished", "processor", "sleep", "outcome", "SUCCESS"));
        assertEquals(1, count("pipewright.tasks.finished", "processor", "sleep", "outcome", "CANCELLED"));
        assertEquals(1, count("pipewright.tasks.finished", "processor", "fail", "outcome", "retry"));
        assertEquals(1, count("pipewright.tasks.finished", "processor", "identity", "outcome", "FAILED"));
        assertEquals(4, registry.find("pipewright.tasks.finished").counters().stream().mapToDouble(c -> c.count()).sum());
        assertEquals(1, count("pipewright.attempts.fenced", "pool", "default"));
        assertEquals(1, count("pipewright.attempts.handedback", "pool", "default"));
        assertEquals(1, count("pipewright.attempts.uncommitted", "pool", "default"));
        assertEquals(6, registry.find("pipewright.task.duration").timers().stream().mapToLong(t -> t.count()).sum(),
                "every attempt that ran has a run time");
    }

    @Test
    void theOldestRunningAttemptAgeIsReadAtEachScrape() {
        double[] age = {0};
        metrics.registerOldestAttempt(List.of("default", "gpu"), pool -> pool.equals("gpu") ? age[0] : 0);
        age[0] = 42.5;
        String scrape = registry.scrape();
        assertTrue(scrape.contains("pipewright_attempts_oldest_age_seconds{pool=\"gpu\"} 42.5"), scrape);
        assertTrue(scrape.contains("pipewright_attempts_oldest_age_seconds{pool=\"default\"} 0.0"), scrape);
    }

    @Test
    void theJvmAndProcessMetersAreBound() {
        String scrape = registry.scrape();
        for (String series : List.of("jvm_memory_used_bytes", "jvm_threads_live_threads", "jvm_gc_memory_allocated_bytes_total",
                "process_cpu_usage", "process_uptime_seconds", "jvm_classes_loaded_classes")) {
            assertTrue(scrape.contains("\n" + series), series);
        }
        metrics.close();
    }

    @Test
    void finishedOutcomesReadZeroFromTheStartAndTimersCoverHours() {
        metrics.registerProcessors(List.of("default"), List.of("sleep"));
        String scrape = registry.scrape();
        for (String outcome : WorkerMetrics.OUTCOMES) {
            assertTrue(scrape.contains("pipewright_tasks_finished_total{outcome=\"" + outcome + "\",pool=\"default\",processor=\"sleep\"} 0.0"),
                    outcome + " in\n" + scrape);
        }
        metrics.started("default", "sleep", Duration.ofMinutes(45));
        metrics.finished("default", "sleep", "ok", Duration.ofHours(3));
        assertEquals(1, count("pipewright.tasks.finished", "pool", "default", "processor", "sleep", "outcome", "SUCCESS"));
        scrape = registry.scrape();
        assertTrue(scrape.contains("pipewright_task_queue_wait_seconds_bucket{pool=\"default\",processor=\"sleep\",le=\"1800.0\"} 0"), scrape);
        assertTrue(scrape.contains("pipewright_task_queue_wait_seconds_bucket{pool=\"default\",processor=\"sleep\",le=\"3600.0\"} 1"), scrape);
        assertTrue(scrape.contains("pipewright_task_duration_seconds_bucket{pool=\"default\",processor=\"sleep\",le=\"7200.0\"} 0"), scrape);
        assertTrue(scrape.contains("pipewright_task_duration_seconds_bucket{pool=\"default\",processor=\"sleep\",le=\"21600.0\"} 1"), scrape);
    }
}
