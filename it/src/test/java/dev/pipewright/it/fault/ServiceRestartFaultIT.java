package dev.pipewright.it.fault;

import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.OwnRabbit;
import dev.pipewright.it.support.OwnRedis;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RabbitMQ restarted during a run (a broker node of the test's own, killed
 * with SIGKILL and started again on the same database), and Redis with an fsync-always AOF
 * SIGKILLed and restarted during a run (a redis-server of the test's own). The overseer and
 * workers reconnect by themselves; the ledger finds nothing lost or done twice.
 */
class ServiceRestartFaultIT {
    private static final Workload WORK = new Workload("fan", 6, 60);

    /** Submits jobs for a while, applies the fault in the middle, then checks the ledger. */
    private static Ledger.Report run(ProcessCluster cluster, String what, FaultAction fault) throws Exception {
        cluster.postPipeline(WORK.yaml());
        Ledger ledger = new Ledger(WORK);
        int n = 0;
        for (; n < 40; n++) {
            ledger.submitted(cluster.submit(WORK.name(), WORK.body(n), Duration.ofSeconds(30)));
        }
        Thread.sleep(500);
        fault.apply();
        for (; n < 80; n++) {
            ledger.submitted(cluster.submit(WORK.name(), WORK.body(n), Duration.ofSeconds(90)));
        }
        boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(3));
        cluster.stopWorkers();
        Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
        System.out.println(what + ": " + cluster.workerNote() + " " + report.summary());
        if (!report.violations().isEmpty() || !ended) {
            System.out.println(cluster.logs());
        }
        report.assertClean();
        assertTrue(ended);
        return report;
    }

    interface FaultAction {
        void apply() throws Exception;
    }

    @Test
    void rabbitMqKilledAndRestartedDuringARun() throws Exception {
        try (OwnRabbit rabbit = OwnRabbit.start();
             ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(4)
                     .systemServices(rabbit.uri(), TestServices.redisUri())
                     .directServices(rabbit.uri(), TestServices.redisUri())
                     .rabbitQueues(RabbitQueues.node(rabbit.nodeName(), rabbit.home())).start()) {
            run(cluster, "rabbitmq restart", () -> {
                rabbit.killAndRestart(Duration.ofSeconds(2));
                cluster.reconnectDirect();
            });
        }
    }

    @Test
    void redisWithAofKilledAndRestartedDuringARun() throws Exception {
        try (OwnRedis redis = OwnRedis.start();
             ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(4)
                     .systemServices(TestServices.rabbitUri(), redis.uri())
                     .directServices(TestServices.rabbitUri(), redis.uri()).start()) {
            run(cluster, "redis kill", () -> {
                cluster.reconnectDirect();
                redis.killAndRestart(Duration.ofSeconds(1));
            });
        }
    }
}
