package dev.pipewright.protocol.state;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    }
}
