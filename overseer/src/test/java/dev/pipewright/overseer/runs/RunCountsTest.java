package dev.pipewright.overseer.runs;

import dev.pipewright.overseer.runs.RunCounts.OpenJob;
import dev.pipewright.protocol.state.JobState;
import dev.pipewright.protocol.state.RunStatus;
import io.lettuce.core.KeyValue;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RunCountsTest {
    private static final List<OpenJob> OPEN = List.of(
            new OpenJob("j1", JobState.RUNNING, 1_000),
            new OpenJob("j2", JobState.READY, 5_000),
            new OpenJob("j3", JobState.PENDING, 2_000),
            new OpenJob("j4", JobState.CANCELLING, 3_000));

    @Test
    void talliesAloneMakeTheCountersOfARunWithNothingOpen() {
        RunCounts c = RunCounts.of(Map.of("since", "17", "SUCCESS", "60000", "FAILED", "30000", "CANCELLED", "10001", "last", "1733500000123456"),
                List.of());
        assertEquals(new RunCounts(0, 0, 60_000, 30_000, 10_001, 1_733_500_000_123_456L), c);
        assertEquals(100_001, c.jobs());
        assertEquals(RunStatus.PARTIALLY_COMPLETED, c.status());
    }

    @Test
    void aNewRunCountsNothing() {
        RunCounts c = RunCounts.of(Map.of("since", "17"), List.of());
        assertEquals(RunCounts.NONE, c);
        assertEquals(RunStatus.PENDING, c.status());
    }

    @Test
    void openJobsAddToTheTalliesByKindAndTime() {
        RunCounts c = RunCounts.of(Map.of("SUCCESS", "2", "last", "4000"), OPEN);
        assertEquals(new RunCounts(2, 2, 2, 0, 0, 5_000), c);
        assertEquals(6, c.jobs());
        assertEquals(RunStatus.RUNNING, c.status());
    }

    @Test
    void jobsAnotherReaderSettledAfterTheyWereReadAreCountedOnceFromTheTallies() {
        // j1 (RUNNING when read) and j2 (READY when read) were settled by someone else meanwhile: positions 1 and 2
        RunCounts c = RunCounts.ofSettled(List.of(3L, 1L, 0L, 4_500L, 1L, 2L), OPEN);
        assertEquals(new RunCounts(1, 1, 3, 1, 0, 4_500), c, "j2's READY time (5000) is not the run's: it was read before it ended");
        assertEquals(6, c.jobs());
        RunCounts none = RunCounts.ofSettled(List.of(0L, 0L, 2L, 9_000L), OPEN);
        assertEquals(new RunCounts(2, 2, 0, 0, 2, 9_000), none);
    }

    @Test
    void aShortOrEndedAnswerIsAMistake() {
        assertThrows(IllegalStateException.class, () -> RunCounts.ofSettled(List.of(1L, 2L), OPEN));
        assertThrows(IllegalArgumentException.class, () -> RunCounts.of(Map.of(), List.of(new OpenJob("j", JobState.SUCCESS, 1))));
    }

    @Test
    void anOpenJobIsItsStatusAndItsLatestTime() {
        assertEquals(new OpenJob("j", JobState.RUNNING, 300), RunStore.openJob("j", List.of(KeyValue.just("status", "RUNNING"),
                KeyValue.just("created", "100"), KeyValue.just("started", "300"), KeyValue.empty("finished"))));
        assertEquals(new OpenJob("j", JobState.FAILED, 900), RunStore.openJob("j", List.of(KeyValue.just("status", "FAILED"),
                KeyValue.just("created", "100"), KeyValue.empty("started"), KeyValue.just("finished", "900"))));
        assertNull(RunStore.openJob("j", List.of(KeyValue.empty("status"), KeyValue.empty("created"), KeyValue.empty("started"),
                KeyValue.empty("finished"))), "recorded, then refused or never created: no job");
    }
}
