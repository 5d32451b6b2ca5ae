package dev.pipewright.overseer.jobs;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class JobExpiresAtTest {
    @Test
    void anEndedJobExpiresItsRetentionAfterItsEnd() {
        // ended 2026-01-01T00:00:00.000001Z, kept 2 days
        assertEquals("2026-01-03T00:00:00.000001Z", JobReader.expiresAt(1_767_225_600_000_001L, 2 * 86_400_000L));
    }

    @Test
    void aRunningJobOrOneWithoutRetentionHasNone() {
        assertNull(JobReader.expiresAt(null, 1000L), "still running");
        assertNull(JobReader.expiresAt(1L, null), "submitted before jobs carried a retention: kept");
        assertNull(JobReader.expiresAt(1L, 0L));
    }
}
