package dev.pipewright.worker.config;

import dev.pipewright.infra.config.Settings;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WorkerConfigTest {
    @Test
    void theMetricsServerListensOnEveryInterfaceUnlessPwMetricsHostNamesOne() {
        WorkerConfig defaults = WorkerConfig.from(new Settings(Map.of()));
        assertEquals("0.0.0.0", defaults.metricsHost());
        assertEquals(WorkerConfig.DEFAULT_METRICS_PORT, defaults.metricsPort());
        WorkerConfig own = WorkerConfig.from(new Settings(Map.of("PW_METRICS_HOST", "10.0.0.7", "PW_METRICS_PORT", "9191")));
        assertEquals("10.0.0.7", own.metricsHost());
        assertEquals(9191, own.metricsPort());
    }
}
