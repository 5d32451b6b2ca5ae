package dev.pipewright.overseer;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The image build runs the training without Redis or RabbitMQ: so does this test. */
class OverseerTrainingTest {
    @Test
    void theTrainingRunNeedsNoServices() {
        assertTimeoutPreemptively(Duration.ofMinutes(1), OverseerTraining::run);
    }
}
