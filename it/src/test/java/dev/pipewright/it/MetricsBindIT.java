package dev.pipewright.it;

import dev.pipewright.infra.config.Settings;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.worker.WorkerMain;
import dev.pipewright.worker.config.WorkerConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /metrics} can be kept on a private interface: the overseer's own metrics port
 * ({@code PW_METRICS_PORT}, {@code PW_METRICS_HOST}) and the worker's metrics server
 * ({@code PW_METRICS_HOST}) answer on the address they are bound to and nowhere else. 127.0.0.2 is
 * another loopback address on Linux, so "elsewhere" is 127.0.0.1 on the same port.
 */
class MetricsBindIT {
    private static final String PRIVATE = "127.0.0.2";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private HttpResponse<String> get(String host, int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theOverseerServesMetricsOnItsOwnPortOnlyOnTheAddressItIsBoundTo() throws Exception {
        int port = Cluster.freePort();
        try (Cluster cluster = Cluster.builder().workers(1).overseerSetting("PW_METRICS_PORT", Integer.toString(port))
                .overseerSetting("PW_METRICS_HOST", PRIVATE).start()) {
            HttpResponse<String> metrics = get(PRIVATE, port, "/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), metrics.headers().toString());
            assertTrue(metrics.body().contains("pipewright_jobs_submitted_total") && metrics.body().contains("jvm_memory_used_bytes"),
                    metrics.body());
            // kept off the API port, so a private metrics interface is not also public there
            assertEquals(404, cluster.get("/metrics").status(), "with PW_METRICS_PORT set, the API port does not serve /metrics");
            assertEquals(404, get(PRIVATE, port, "/api/v1/jobs").statusCode(), "the metrics port serves nothing else");
            assertThrows(ConnectException.class, () -> get("127.0.0.1", port, "/metrics"), "not bound to 127.0.0.1");
        }
    }

    @Test
    void aWorkerServesMetricsAndProbesOnlyOnPwMetricsHost() throws Exception {
        try (Cluster cluster = Cluster.builder().workers(0).start()) {
            int port = Cluster.freePort();
            Map<String, String> env = cluster.workerEnv("bound-w1", port);
            env.put("PW_METRICS_HOST", PRIVATE);
            WorkerConfig config = WorkerConfig.from(new Settings(env));
            WorkerMain.Running worker = WorkerMain.start(config, WorkerMain.registry(config));
            try {
                assertEquals(200, get(PRIVATE, port, "/health").statusCode());
                Cluster.await("the worker to be ready", Duration.ofSeconds(20), () -> {
                    try {
                        return get(PRIVATE, port, "/ready").statusCode() == 200;
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertTrue(get(PRIVATE, port, "/metrics").body().contains("pipewright_worker_inflight"));
                assertThrows(ConnectException.class, () -> get("127.0.0.1", port, "/metrics"), "not bound to 127.0.0.1");
            } finally {
                worker.close();
            }
        }
    }
}
