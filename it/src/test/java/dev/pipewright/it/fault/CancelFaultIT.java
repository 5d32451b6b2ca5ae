package dev.pipewright.it.fault;

import dev.pipewright.it.support.Cluster;
import dev.pipewright.protocol.keys.JobId;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 100 jobs cancelled at random moments (every tenth after it ended) while
 * 100 others complete. A cancel that lands before its job ends leaves it CANCELLED with nothing
 * dispatched after the cancel (dispatch count frozen at the cancel); one that lands after is
 * refused with 409 and the job stays SUCCESS; the other jobs are untouched; nothing is lost, run
 * or written twice.
 */
class CancelFaultIT {
    private static final int PAIRS = Soak.times(100);

    @Test
    void hundredRandomCancelsBesideHundredCompletingJobs() throws Exception {
        Workload work = new Workload("fan", 6, 150);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Map<String, Integer> cancelAnswers = new ConcurrentHashMap<>();
        AtomicInteger cancelled = new AtomicInteger();
        try (ProcessCluster cluster = ProcessCluster.builder().workers(3).concurrency(8).lease("5s").start()) {
            cluster.postPipeline(work.yaml());
            Ledger ledger = new Ledger(work);
            // each victim is cancelled at a random point of its own progress (before it starts, or once
            // k of its tasks have ended), so the cancels land at random moments whatever the machine's speed
            Map<String, Integer> pending = new ConcurrentHashMap<>();
            RedisClusterCommands<String, String> redis = cluster.newRedis();
            ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
            Thread watcher = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    for (Map.Entry<String, Integer> v : pending.entrySet()) {
                        String done = redis.hget(cluster.keys().job(new JobId(v.getKey())), "terminal");
                        if (done != null && Integer.parseInt(done) >= v.getValue() && pending.remove(v.getKey()) != null) {
                            senders.execute(() -> cancel(cluster, v.getKey(), cancelAnswers, cancelled));
                        }
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "cancel-watcher");
            watcher.start();
            for (int n = 0; n < PAIRS; n++) {
                String keep = cluster.submit(work.name(), work.body(2 * n), Duration.ofSeconds(30));
                ledger.submitted(keep);
                String victim = cluster.submit(work.name(), work.body(2 * n + 1), Duration.ofSeconds(30));
                ledger.submitted(victim);
                ledger.expect(victim, Set.of("CANCELLED", "SUCCESS"));
                // every tenth is cancelled once its job has ended, so that the refusal is exercised on any machine
                boolean late = n % 10 == 9;
                int at = late ? work.tasksPerJob() : random.nextInt(work.width()) - 1; // -1: at once; k: once k tasks ended
                if (late) {
                    senders.execute(() -> {
                        ProcessCluster.await("job " + victim + " to end",
                                () -> Ledger.terminal(cluster.redis().hget(cluster.keys().job(new JobId(victim)), "status")));
                        cancel(cluster, victim, cancelAnswers, cancelled);
                    });
                } else if (at < 0) {
                    senders.execute(() -> cancel(cluster, victim, cancelAnswers, cancelled));
                } else {
                    pending.put(victim, at);
                }
                Thread.sleep(20);
            }
            Cluster.await("every cancel to be sent", Duration.ofMinutes(2), pending::isEmpty);
            watcher.interrupt();
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
            assertTrue(cancelled.get() >= PAIRS * 3 / 4, "most cancels landed while their jobs ran: " + cancelled);
            assertTrue(refused >= PAIRS / 10, "the cancels sent after their job ended were refused: " + refused);
        }
    }

    private static void cancel(ProcessCluster cluster, String victim, Map<String, Integer> answers, AtomicInteger cancelled) {
        HttpResponse<String> r = cluster.post("/api/v1/jobs/" + victim + "/cancel", "", "application/json");
        answers.put(victim, ProcessCluster.status(r));
        if (ProcessCluster.status(r) == 202 || ProcessCluster.status(r) == 200) {
            cancelled.incrementAndGet();
        }
    }
}
