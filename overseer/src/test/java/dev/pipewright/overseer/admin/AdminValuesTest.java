package dev.pipewright.overseer.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.refusal.Refusal;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminValuesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode record(String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void selectorMatchesEachFieldAndReasonByCodeOrText() throws Exception {
        JsonNode r = record("""
                {"id": "x1", "job": "j1", "processor": "identity", "reason_code": "delivery_limit",
                 "reason": "redelivered more than the queue's delivery limit (workers crashed)"}""");
        assertTrue(DeadLetterSelector.ALL.matches(r));
        assertTrue(DeadLetterSelector.ALL.isAll());
        assertTrue(new DeadLetterSelector("x1", null, null, null).matches(r));
        assertFalse(new DeadLetterSelector("x2", null, null, null).matches(r));
        assertTrue(new DeadLetterSelector(null, "j1", "identity", null).matches(r));
        assertFalse(new DeadLetterSelector(null, "j1", "concat", null).matches(r));
        assertTrue(new DeadLetterSelector(null, null, null, "DELIVERY_LIMIT").matches(r));
        assertTrue(new DeadLetterSelector(null, null, null, "crashed").matches(r));
        assertFalse(new DeadLetterSelector(null, null, null, "rejected").matches(r));
        JsonNode unreadable = record("{\"id\": \"x3\", \"reason_code\": \"rejected\", \"reason\": \"rejected by a worker\"}");
        assertFalse(new DeadLetterSelector(null, "j1", null, null).matches(unreadable));
        assertFalse(new DeadLetterSelector(null, null, "identity", null).matches(unreadable));
        assertFalse(new DeadLetterSelector(null, "j1", null, null).isAll());
    }

    @Test
    void heartbeatIsParsedPerPool() {
        long now = 1_000_000;
        WorkerView w = WorkerView.of("w1", Map.of("pools", "default,gpu", "processors", "identity,sleep", "concurrency", "4",
                "inflight", "3", "inflight:default", "1", "inflight:gpu", "2", "unacked:default", "5", "paused", "gpu",
                "version", "0.1.0", "lastSeen", Long.toString(now - 1500)), now, 10_000);
        assertEquals(List.of("default", "gpu"), w.pools());
        assertEquals(4, w.concurrency());
        assertEquals(3, w.inFlight());
        assertEquals(1, w.inFlight("default"));
        assertEquals(2, w.inFlight("gpu"));
        assertEquals(5, w.unacked("default"));
        assertEquals(0, w.unacked("gpu"));
        assertEquals(0, w.inFlight("other"));
        assertEquals(List.of("gpu"), w.paused());
        assertTrue(w.alive());
        assertFalse(WorkerView.of("w2", Map.of("lastSeen", Long.toString(now - 20_000)), now, 10_000).alive());
        WorkerView old = WorkerView.of("w3", Map.of("pools", "default", "concurrency", "x", "paused", ""), now, 10_000);
        assertEquals(0, old.concurrency());
        assertEquals(List.of(), old.paused());
        assertFalse(old.alive(), "no lastSeen: not alive");
    }

    @Test
    void drainTimeoutAndPoolNames() {
        assertEquals(Duration.ofSeconds(60), PoolAdmin.drainTimeout(null));
        assertEquals(Duration.ofSeconds(0), PoolAdmin.drainTimeout("0"));
        assertEquals(Duration.ofSeconds(3600), PoolAdmin.drainTimeout("3600"));
        for (String bad : List.of("-1", "3601", "1.5", "soon")) {
            assertThrows(Refusal.Invalid.class, () -> PoolAdmin.drainTimeout(bad), bad);
        }
        assertEquals("gpu-1", PoolName.check("gpu-1"));
        assertThrows(Refusal.Invalid.class, () -> PoolName.check("bad name"));
        assertThrows(Refusal.Invalid.class, () -> PoolName.check(null));
    }
}
