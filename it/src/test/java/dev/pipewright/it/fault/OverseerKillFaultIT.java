package dev.pipewright.it.fault;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (issue 3): the overseer SIGKILLed 5 times at random points of a run and restarted;
 * jobs resume from Redis, pending events and outbox entries are replayed, and the ledger finds
 * nothing lost or done twice. Jobs go on being submitted throughout (a submit whose answer the
 * kill swallowed is retried; the ledger holds the system to any job it created).
 */
class OverseerKillFaultIT {
    private static final int KILLS = Soak.times(5);
    private static final int JOBS_PER_ROUND = 24;

    @Test
    void fiveOverseerKillsDuringARun() throws Exception {
        Workload work = new Workload("fan", 6, 60);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (ProcessCluster cluster = ProcessCluster.builder().workers(3).concurrency(4).lease("3s").start()) {
            cluster.postPipeline(work.yaml());
            Ledger ledger = new Ledger(work);
            int n = 0;
            for (int round = 0; round < KILLS; round++) {
                long killAt = System.nanoTime() + Duration.ofMillis(300 + random.nextInt(2000)).toNanos();
                while (System.nanoTime() < killAt) {
                    String id = cluster.trySubmit(work.name(), work.body(n++));
                    if (id != null) {
                        ledger.submitted(id);
                    }
                    Thread.sleep(1000 / JOBS_PER_ROUND);
                }
                cluster.killOverseer();
                Thread.sleep(random.nextInt(1000));
                cluster.startOverseer();
            }
            for (int i = 0; i < JOBS_PER_ROUND; i++) {
                ledger.submitted(cluster.submit(work.name(), work.body(n++), Duration.ofSeconds(30)));
            }
            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(3));
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            System.out.println("overseer kills: seed=" + seed + " kills=" + KILLS + " starts=" + cluster.overseerStarts() + " "
                    + report.summary());
            report.assertClean();
            assertTrue(ended);
            assertTrue(report.jobs() >= ledger.submittedJobs().size());
        }
    }
}
