package dev.pipewright.worker;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The image build runs the training without Redis or RabbitMQ: so does this test. */
class WorkerTrainingTest {
    @Test
    void theTrainingRunNeedsNoServices() {
        assertTimeoutPreemptively(Duration.ofMinutes(1), WorkerTraining::run);
    }
}
