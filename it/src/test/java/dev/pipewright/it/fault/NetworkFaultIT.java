package dev.pipewright.it.fault;

import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.TcpProxy;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections between Pipewright and its services cut, stalled and reset
 * through in-JVM TCP proxies while jobs run. Every process talks to RabbitMQ and Redis through a
 * proxy; the test reads them directly. The ledger finds nothing lost or done twice, and the
 * proxies show that the processes did reconnect.
 */
class NetworkFaultIT {

    private static URI through(URI service, TcpProxy proxy) {
        return URI.create(service.toString().replaceFirst(":" + service.getPort(), ":" + proxy.port()));
    }

    @Test
    void connectionsCutStalledAndResetDuringARun() throws Exception {
        URI rabbitUri = TestServices.rabbitUri();
        URI redisUri = TestServices.redisUri();
        Workload work = new Workload("fan", 6, 60);
        try (TcpProxy rabbitProxy = new TcpProxy(rabbitUri.getHost(), rabbitUri.getPort());
             TcpProxy redisProxy = new TcpProxy(redisUri.getHost(), redisUri.getPort());
             ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(4)
                     .systemServices(through(rabbitUri, rabbitProxy), through(redisUri, redisProxy))
                     .directServices(rabbitUri, redisUri).start()) {
            cluster.postPipeline(work.yaml());
            Ledger ledger = new Ledger(work);
            long rabbitConnections = rabbitProxy.accepted();
            long redisConnections = redisProxy.accepted();
            Runnable[] faults = {
                rabbitProxy::cut,
                redisProxy::reset,
                () -> stall(rabbitProxy, 3000),
                () -> stall(redisProxy, 3000),
                rabbitProxy::reset,
                redisProxy::cut,
                () -> {
                    // a broker that refuses new connections for a while after dropping the old ones
                    rabbitProxy.refuse(true);
                    rabbitProxy.reset();
                    sleep(2000);
                    rabbitProxy.refuse(false);
                },
            };
            int n = 0;
            for (int f = 0; f < Soak.times(faults.length); f++) {
                Runnable fault = faults[f % faults.length];
                for (int i = 0; i < 12; i++) {
                    ledger.submitted(cluster.submit(work.name(), work.body(n++), Duration.ofSeconds(90)));
                }
                sleep(700);
                fault.run();
                sleep(300);
            }
            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(3));
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            System.out.println("network faults: " + cluster.workerNote() + " " + report.summary() + " rabbit reconnects="
                    + (rabbitProxy.accepted() - rabbitConnections) + " redis reconnects=" + (redisProxy.accepted() - redisConnections));
            if (!report.violations().isEmpty() || !ended) {
                System.out.println(cluster.logs());
            }
            report.assertClean();
            assertTrue(ended);
            assertTrue(rabbitProxy.accepted() > rabbitConnections, "the processes reconnected to RabbitMQ");
            assertTrue(redisProxy.accepted() > redisConnections, "the processes reconnected to Redis");
        }
    }

    private static void stall(TcpProxy proxy, long ms) {
        proxy.stall(true);
        sleep(ms);
        proxy.stall(false);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
