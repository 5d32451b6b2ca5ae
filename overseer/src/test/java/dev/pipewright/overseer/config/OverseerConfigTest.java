package dev.pipewright.overseer.config;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OverseerConfigTest {
    private static OverseerConfig config(Map<String, String> env) {
        return OverseerConfig.from(new Settings(env));
    }

    @Test
    void metricsAreServedOnTheApiPortOnlyByDefault() {
        OverseerConfig c = config(Map.of());
        assertEquals(0, c.metricsPort());
        assertEquals("0.0.0.0", c.metricsHost());
        assertFalse(c.ownMetricsPort());
        assertEquals(java.time.Duration.ofSeconds(5), c.probeInterval());
        assertEquals(java.time.Duration.ofMillis(500), config(Map.of("PW_PROBE_INTERVAL", "500ms")).probeInterval());
    }

    @Test
    void metricsCanHaveAPortOfTheirOwnOnAnotherInterface() {
        OverseerConfig c = config(Map.of("PW_METRICS_PORT", "9095", "PW_METRICS_HOST", "10.1.2.3"));
        assertTrue(c.ownMetricsPort());
        assertEquals(9095, c.metricsPort());
        assertEquals("10.1.2.3", c.metricsHost());
    }

    @Test
    void aMetricsPortThatIsTheApiPortOrOutOfRangeIsRefusedByName() {
        ConfigException same = assertThrows(ConfigException.class, () -> config(Map.of("PW_METRICS_PORT", "8080")));
        assertTrue(same.getMessage().contains("PW_METRICS_PORT=8080") && same.getMessage().contains("PW_HTTP_PORT"), same.getMessage());
        ConfigException range = assertThrows(ConfigException.class, () -> config(Map.of("PW_METRICS_PORT", "70000")));
        assertTrue(range.getMessage().contains("PW_METRICS_PORT"), range.getMessage());
    }

    @Test
    void endedJobsAreKeptSevenDaysUnlessPwJobRetentionSaysOtherwise() {
        OverseerConfig c = config(Map.of());
        assertEquals(java.time.Duration.ofDays(7), c.jobRetention());
        assertEquals(java.time.Duration.ofSeconds(10), c.retentionInterval());
        assertEquals(1000, c.retentionBatch());
        OverseerConfig short_ = config(Map.of("PW_JOB_RETENTION", "2s", "PW_RETENTION_INTERVAL", "500ms", "PW_RETENTION_BATCH", "100"));
        assertEquals(java.time.Duration.ofSeconds(2), short_.jobRetention());
        assertEquals(java.time.Duration.ofMillis(500), short_.retentionInterval());
        assertEquals(100, short_.retentionBatch());
        assertEquals(java.time.Duration.ofHours(36), config(Map.of("PW_JOB_RETENTION", "36h")).jobRetention());
    }

    @Test
    void aBadRetentionIsRefusedByNameWithWhatIsExpected() {
        for (String bad : new String[] {"a week", "7", "0", "0s", "-1d", "7 days"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> config(Map.of("PW_JOB_RETENTION", bad)), bad);
            assertTrue(e.getMessage().contains("PW_JOB_RETENTION='" + bad + "' is not valid: expected a duration"), e.getMessage());
        }
        ConfigException tooLong = assertThrows(ConfigException.class, () -> config(Map.of("PW_JOB_RETENTION", "4000d")));
        assertTrue(tooLong.getMessage().contains("PW_JOB_RETENTION=4000d is longer than 3650d"), tooLong.getMessage());
        ConfigException batch = assertThrows(ConfigException.class, () -> config(Map.of("PW_RETENTION_BATCH", "5")));
        assertTrue(batch.getMessage().contains("PW_RETENTION_BATCH"), batch.getMessage());
    }
}
