package dev.pipewright.protocol.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RunStatusTest {
    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource(delimiter = '|', value = {
            "''                         | PENDING",
            "READY                      | PENDING",
            "READY PENDING              | PENDING",
            "RUNNING                    | RUNNING",
            "SUCCESS RUNNING            | RUNNING",
            "CANCELLING SUCCESS         | RUNNING",
            "SUCCESS READY              | RUNNING",
            "FAILED PENDING             | RUNNING",
            "SUCCESS                    | COMPLETED",
            "SUCCESS SUCCESS SUCCESS    | COMPLETED",
            "SUCCESS FAILED             | PARTIALLY_COMPLETED",
            "SUCCESS SUCCESS SUCCESS FAILED FAILED | PARTIALLY_COMPLETED",
            "SUCCESS CANCELLED          | PARTIALLY_COMPLETED",
            "FAILED                     | ERRORED",
            "FAILED FAILED              | ERRORED",
            "FAILED CANCELLED           | ERRORED",
            "CANCELLED                  | CANCELLED",
            "CANCELLED CANCELLED        | CANCELLED",
    })
    void derivesTheRunStatusFromItsJobs(String jobs, RunStatus expected) {
        List<JobState> states = jobs.isBlank() ? List.of()
                : Arrays.stream(jobs.trim().split("\\s+")).map(JobState::valueOf).toList();
        assertEquals(expected, RunStatus.derive(states));
        // the counts overload follows the same rules
        long waiting = states.stream().filter(st -> st == JobState.READY || st == JobState.PENDING).count();
        long active = states.stream().filter(st -> st == JobState.RUNNING || st == JobState.CANCELLING).count();
        assertEquals(expected, RunStatus.derive(waiting, active, count(states, JobState.SUCCESS), count(states, JobState.FAILED),
                count(states, JobState.CANCELLED)));
    }

    private static long count(List<JobState> states, JobState state) {
        return states.stream().filter(state::equals).count();
    }

    @ParameterizedTest(name = "waiting {0}, active {1}, succeeded {2}, failed {3}, cancelled {4} -> {5}")
    @CsvSource({
            "0,      0,     0,      0,     0,     PENDING",
            "100000, 0,     0,      0,     0,     PENDING",
            "0,      1,     99999,  0,     0,     RUNNING",
            "0,      1,     0,      0,     0,     RUNNING",
            "1,      0,     99999,  0,     0,     RUNNING",
            "1,      0,     0,      0,     99999, RUNNING",
            "0,      0,     100000, 0,     0,     COMPLETED",
            "0,      0,     99999,  1,     0,     PARTIALLY_COMPLETED",
            "0,      0,     1,      0,     99999, PARTIALLY_COMPLETED",
            "0,      0,     0,      99999, 1,     ERRORED",
            "0,      0,     0,      1,     0,     ERRORED",
            "0,      0,     0,      0,     100000, CANCELLED",
            "0,      0,     3000000000, 0, 0,     COMPLETED",
    })
    void derivesTheRunStatusFromCountsOfAnySize(long waiting, long active, long succeeded, long failed, long cancelled, RunStatus expected) {
        assertEquals(expected, RunStatus.derive(waiting, active, succeeded, failed, cancelled));
    }

    @Test
    void aNegativeCountIsAMistake() {
        assertThrows(IllegalArgumentException.class, () -> RunStatus.derive(0, 0, 1, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> RunStatus.derive(-1, 0, 0, 0, 0));
    }
}
