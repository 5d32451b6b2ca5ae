package dev.pipewright.infra.config;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingRunTest {
    @Test
    void onlyTheFlagAloneAsksForATrainingRun() {
        assertTrue(TrainingRun.requested(new String[] {"--training-run"}));
        assertFalse(TrainingRun.requested(new String[] {}));
        assertFalse(TrainingRun.requested(new String[] {"--training-run", "x"}));
        assertFalse(TrainingRun.requested(new String[] {"--training"}));
    }

    @Test
    void theConnectionAttemptsFailFastWithoutServices() {
        // an image build has no Redis or RabbitMQ: the attempts must neither hang nor throw
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> TrainingRun.connectAttempts(null));
    }

    @Test
    void aRequestFailsUnlessItGetsTheExpectedStatus() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/ok", ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        // read the body before answering: the JDK server's own 404 for an unknown path may close the
        // connection while a POST body is still on its way, which the client sees as a reset
        server.createContext("/missing", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            TrainingRun.expect(port, "GET", "/ok", null, null, null, 200);
            TrainingRun.expect(port, "POST", "/missing", "t", "text/plain", "body", 404);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> TrainingRun.expect(port, "GET", "/missing", null, null, null, 200));
            assertTrue(e.getMessage().contains("404"), e.getMessage());
        } finally {
            server.stop(0);
        }
    }
}
