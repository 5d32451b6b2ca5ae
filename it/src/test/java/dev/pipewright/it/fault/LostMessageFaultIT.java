package dev.pipewright.it.fault;

import com.rabbitmq.client.Channel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ledger's negative control, and the sweeper's answer to it. Task messages are lost the way a
 * non-durable queue loses them in a broker restart: purged while no worker consumes. With the
 * sweeper's stuck-task re-dispatch switched off, the ledger must report exactly those jobs as
 * never ending (so a passing fault test means something); with it on, the sweeper publishes the
 * tasks again and the ledger finds everything done once.
 */
class LostMessageFaultIT {
    private static final int JOBS = 8;

    private static Ledger.Report loseMessages(String stuckAfter, Duration wait) throws Exception {
        Workload work = new Workload("lossy", 2, 10);
        try (ProcessCluster cluster = ProcessCluster.builder().workers(1).concurrency(4)
                .setting("PW_STUCK_READY_AFTER", stuckAfter).start()) {
            cluster.postPipeline(work.yaml());
            cluster.stopWorkers();
            Ledger ledger = new Ledger(work);
            for (int n = 0; n < JOBS; n++) {
                ledger.submitted(cluster.submit(work.name(), work.body(n), Duration.ofSeconds(30)));
            }
            String queue = cluster.keys().poolQueue("default");
            ProcessCluster.await("the first tasks to be published", () -> messageCount(cluster, queue) == JOBS);
            try (Channel ch = cluster.rabbit().createChannel()) {
                assertEquals(JOBS, ch.queuePurge(queue).getMessageCount(), "the purge lost one message per job");
            }
            cluster.startWorker(0);
            boolean ended = ledger.awaitEnd(cluster, wait);
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            System.out.println("lost messages (stuck re-dispatch after " + stuckAfter + "): ended=" + ended + " "
                    + report.summary() + " violations=" + report.violations().size());
            return report;
        }
    }

    private static long messageCount(ProcessCluster cluster, String queue) {
        try {
            return cluster.messageCount(queue);
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void theLedgerDetectsLostMessagesWhenNothingRepairsThem() throws Exception {
        Ledger.Report report = loseMessages("0s", Duration.ofSeconds(10));
        assertFalse(report.violations().isEmpty(), "the ledger must notice the loss");
        long stuck = report.violations().stream().filter(v -> v.contains("did not end")).count();
        assertEquals(JOBS, stuck, "each job whose first message was lost is reported: " + report.violations());
        assertTrue(report.violations().stream().anyMatch(v -> v.contains("READY")), "the lost tasks show as READY");
    }

    @Test
    void theSweeperRepublishesStuckTasks() throws Exception {
        Ledger.Report report = loseMessages("2s", Duration.ofSeconds(60));
        report.assertClean();
        assertEquals(JOBS * 4, report.tasks());
    }
}
