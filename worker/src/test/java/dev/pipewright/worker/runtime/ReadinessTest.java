package dev.pipewright.worker.runtime;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadinessTest {
    @Test
    void aWorkerThatHasNotConnectedYetIsNotReadyAndSaysWhy() {
        Readiness.Report r = new Readiness().check();
        assertFalse(r.ready());
        assertEquals(java.util.List.of("redis", "rabbitmq", "consumers"), java.util.List.copyOf(r.checks().keySet()));
        r.checks().values().forEach(v -> assertTrue(v.startsWith("DOWN"), v));
        assertTrue(r.json().startsWith("{\"status\":\"DOWN\",\"checks\":{\"redis\":\"DOWN"), r.json());
    }

    @Test
    void theReportIsJson() throws Exception {
        String json = new Readiness.Report(true, new java.util.LinkedHashMap<>(Map.of("redis", "UP"))).json();
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        assertEquals("UP", node.path("status").asText());
        assertEquals("UP", node.path("checks").path("redis").asText());
    }
}
