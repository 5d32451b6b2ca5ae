package dev.pipewright.it.fault;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker SIGKILLed 20 times during a 2,000-task run, restarted each time;
 * the ledger finds every job ended, every consumable written once, every release done once and
 * RabbitMQ empty.
 */
class WorkerKillFaultIT {
    private static final int JOBS = Soak.times(200);
    private static final int KILLS = Soak.times(20);

    @Test
    void twentyWorkerKillsDuringATwoThousandTaskRun() throws Exception {
        Workload work = new Workload("fan", 8, 100);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (ProcessCluster cluster = ProcessCluster.builder().workers(3).concurrency(4).lease("2s").start()) {
            cluster.postPipeline(work.yaml());
            Ledger ledger = new Ledger(work);
            int perRound = JOBS / KILLS;
            for (int round = 0; round < KILLS; round++) {
                for (int i = 0; i < perRound; i++) {
                    int n = round * perRound + i;
                    ledger.submitted(cluster.submit(work.name(), work.body(n), Duration.ofSeconds(30)));
                }
                Thread.sleep(300 + random.nextInt(500));
                int victim = random.nextInt(cluster.workerCount());
                cluster.killWorker(victim);
                // the next kill hits a worker that is up and taking tasks, not one still starting
                cluster.awaitWorkerListed(cluster.startWorker(victim));
            }
            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(4));
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            System.out.println("worker kills: seed=" + seed + " kills=" + KILLS + " " + cluster.workerNote() + " " + report.summary());
            report.assertClean();
            assertTrue(ended);
            assertEquals(JOBS, report.jobs());
            assertEquals(JOBS * work.tasksPerJob(), report.tasks());
            assertTrue(report.lostLeases() > 0, "the kills hit running attempts: " + report.summary());
        }
    }
}
