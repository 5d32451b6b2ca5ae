package dev.pipewright.it.fault;

import dev.pipewright.protocol.keys.JobId;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (issue 3): 100 jobs cancelled at random moments (every tenth after it ended) while
 * 100 others complete. A cancel that lands before its job ends leaves it CANCELLED with nothing
 * dispatched after the cancel (dispatch count frozen at the cancel); one that lands after is
 * refused with 409 and the job stays SUCCESS; the other jobs are untouched; nothing is lost, run
 * or written twice.
 */
class CancelFaultIT {
    private static final int PAIRS = Soak.times(100);
    /**
     * A cancel comes at a random moment this soon after its submit: about as long as a job takes
     * (three levels of 250 ms tasks, and the queueing), so most land while their job runs and some
     * after it ended, on a fast machine as on a busy one.
     */
    private static final int CANCEL_WITHIN_MS = 1500;

    @Test
    void hundredRandomCancelsBesideHundredCompletingJobs() throws Exception {
        Workload work = new Workload("fan", 6, 250);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        ScheduledExecutorService cancels = Executors.newScheduledThreadPool(1);
        java.util.concurrent.ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
        Map<String, Integer> cancelAnswers = new ConcurrentHashMap<>();
        AtomicInteger cancelled = new AtomicInteger();
        try (ProcessCluster cluster = ProcessCluster.builder().workers(3).concurrency(8).lease("5s").start()) {
            cluster.postPipeline(work.yaml());
            Ledger ledger = new Ledger(work);
            RedisCommands<String, String> watch = cluster.newRedis();
            for (int n = 0; n < PAIRS; n++) {
                String keep = cluster.submit(work.name(), work.body(2 * n), Duration.ofSeconds(30));
                ledger.submitted(keep);
                String victim = cluster.submit(work.name(), work.body(2 * n + 1), Duration.ofSeconds(30));
                ledger.submitted(victim);
                ledger.expect(victim, Set.of("CANCELLED", "SUCCESS"));
                // each cancel is sent at its moment on a thread of its own: a slow answer delays no other;
                // every tenth comes once its job has ended, so that the refusal is exercised on any machine
                boolean late = n % 10 == 9;
                cancels.schedule(() -> senders.submit(() -> {
                    if (late) {
                        ProcessCluster.await("job " + victim + " to end", () -> Ledger.terminal(watch.hget(cluster.keys().job(new JobId(victim)), "status")));
                    }
                    HttpResponse<String> r = cluster.post("/api/v1/jobs/" + victim + "/cancel", "", "application/json");
                    cancelAnswers.put(victim, ProcessCluster.status(r));
                    if (ProcessCluster.status(r) == 202 || ProcessCluster.status(r) == 200) {
                        cancelled.incrementAndGet();
                    }
                }), random.nextInt(CANCEL_WITHIN_MS), TimeUnit.MILLISECONDS);
                Thread.sleep(20);
            }
            cancels.shutdown();
            assertTrue(cancels.awaitTermination(60, TimeUnit.SECONDS));
            senders.shutdown();
            assertTrue(senders.awaitTermination(60, TimeUnit.SECONDS));
            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(3));
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            int refused = 0;
            for (Map.Entry<String, Integer> a : cancelAnswers.entrySet()) {
                String status = cluster.redis().hget(cluster.keys().job(new JobId(a.getKey())), "status");
                if (a.getValue() == 409) {
                    refused++;
                    assertEquals("SUCCESS", status, "a refused cancel came after the job ended");
                } else {
                    assertTrue(a.getValue() == 200 || a.getValue() == 202, "cancel answered " + a.getValue());
                    assertEquals("CANCELLED", status, "an accepted cancel ends the job CANCELLED");
                }
            }
            System.out.println("cancels: seed=" + seed + " accepted=" + cancelled + " refused (already ended)=" + refused + " "
                    + cluster.workerNote() + " " + report.summary());
            report.assertClean();
            assertTrue(ended);
            assertEquals(PAIRS, cancelAnswers.size());
            assertTrue(cancelled.get() >= PAIRS / 2, "most cancels landed while their jobs ran: " + cancelled);
            assertTrue(refused >= PAIRS / 10, "the cancels sent after their job ended were refused: " + refused);
        } finally {
            cancels.shutdownNow();
            senders.shutdownNow();
        }
    }
}
