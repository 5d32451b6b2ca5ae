package dev.pipewright.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.config.TrainingRun;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.worker.config.WorkerConfig;
import dev.pipewright.worker.runtime.ProcessorLogCapture;
import dev.pipewright.worker.runtime.Readiness;
import dev.pipewright.worker.runtime.WorkerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * {@code java -jar worker.jar --training-run} ({@link TrainingRun}): the worker's start without Redis
 * and RabbitMQ. It reads the processor registry ({@code PW_PROCESSORS}, when set, as a start does),
 * serves health, readiness and metrics on a loopback port, connects both clients as far as a server
 * that hangs up lets them, and reads a task message as the pool consumers do.
 */
final class WorkerTraining {
    private WorkerTraining() {
    }

    static void run() throws Exception {
        ProcessorLogCapture.install();
        String processors = System.getenv("PW_PROCESSORS");
        WorkerConfig config = WorkerConfig.from(new Settings(processors == null ? Map.of() : Map.of("PW_PROCESSORS", processors)));
        WorkerMain.registry(config);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        WorkerMetrics metrics = new WorkerMetrics(meters);
        try {
            metrics.registerPools(config.pools());
            HttpServer http = WorkerMain.metricsServer(new InetSocketAddress("127.0.0.1", 0), meters, new Readiness());
            try {
                int port = http.getAddress().getPort();
                TrainingRun.expect(port, "GET", "/health", null, null, null, 200);
                TrainingRun.expect(port, "GET", "/ready", null, null, null, 503);
                TrainingRun.expect(port, "GET", "/metrics", null, null, null, 200);
            } finally {
                http.stop(0);
            }
            TrainingRun.connectAttempts(meters);
            ObjectMapper json = new ObjectMapper();
            byte[] message = json.writeValueAsBytes(new TaskMessage(TaskMessage.VERSION, "training", 0, "node", 1));
            if (!(json.readValue(message, BusMessage.class) instanceof TaskMessage)) {
                throw new IllegalStateException("a task message did not read back as one");
            }
        } finally {
            metrics.close();
        }
    }
}
