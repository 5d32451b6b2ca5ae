package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.pipeline.Problem;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestBodyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static List<String> paths(RequestBody b) {
        return b.problems().stream().map(Problem::path).toList();
    }

    @Test
    void everyProblemIsCollectedWithItsPath() throws Exception {
        RequestBody b = new RequestBody(json("""
                {"name": 5, "priority": "urgent", "tags": {"a": "x", "b": {}}, "colour": "red",
                 "config": {"infra": {"cpu": "1", "memory": "2GB", "storage": true, "gpu": 1}, "extra": true}}
                """), Set.of("name", "priority", "tags", "config"));
        assertNull(b.text("name", false));
        assertEquals("low", b.oneOf("priority", List.of("low", "medium", "high"), "low"));
        assertEquals(Map.of("a", "x"), b.textMap("tags"));
        RequestBody config = b.nested("config", Set.of("infra"));
        assertNull(config.infra("infra"));
        assertEquals(List.of("colour", "name", "priority", "tags.b", "config.extra", "config.infra.gpu", "config.infra.cpu",
                "config.infra.memory", "config.infra.storage"), paths(b));
        ApiException e = assertThrows(ApiException.class, () -> b.check("the run"));
        assertEquals(400, e.status());
        assertEquals(9, e.problems().size());
        assertTrue(e.getMessage().startsWith("the run has 9 problem(s): colour: unknown field"), e.getMessage());
    }

    @Test
    void goodValuesPassAndMissingOptionalOnesAreNull() throws Exception {
        RequestBody b = new RequestBody(json("""
                {"pipeline_id": "toy", "priority": "high", "start": false, "config": {"infra": {"cpu": 0.5, "memory": "512Mi"}}}
                """), Set.of("pipeline_id", "priority", "start", "config", "name"));
        assertEquals("toy", b.text("pipeline_id", true));
        assertNull(b.text("name", false));
        assertEquals("high", b.oneOf("priority", List.of("low", "medium", "high"), "low"));
        assertEquals(Boolean.FALSE, b.bool("start"));
        Infra infra = b.nested("config", Set.of("infra")).infra("infra");
        assertEquals(new Infra(new BigDecimal("0.5"), "512Mi", null), infra);
        b.check("the request");
        assertTrue(b.problems().isEmpty());
    }

    @Test
    void bareNumbersOfMemoryAndStorageAreGiB() throws Exception {
        // seed 002: submit_job(..., config={"infra": {"cpu": 1, "memory": 2, "storage": 120}})
        RequestBody b = new RequestBody(json("""
                {"config": {"infra": {"cpu": 1, "memory": 2, "storage": 120.0}}}
                """), Set.of("config"));
        Infra infra = b.nested("config", Set.of("infra")).infra("infra");
        b.check("the request");
        assertEquals(new Infra(BigDecimal.ONE, "2Gi", "120Gi"), infra);
        assertEquals(2L << 30, infra.memoryBytes());
        RequestBody bad = new RequestBody(json("{\"config\": {\"infra\": {\"memory\": 0, \"storage\": -1}}}"), Set.of("config"));
        assertNull(bad.nested("config", Set.of("infra")).infra("infra"));
        assertEquals(List.of("config.infra.memory", "config.infra.storage"), paths(bad));
    }

    @Test
    void requiredTextAndLengthLimits() throws Exception {
        RequestBody b = new RequestBody(json("{\"name\": \"" + "n".repeat(RequestBody.MAX_TEXT + 1) + "\", \"blank\": \"  \"}"),
                Set.of("name", "blank", "pipeline_id"));
        assertNull(b.text("pipeline_id", true));
        assertNull(b.text("name", false));
        assertNull(b.text("blank", false));
        assertEquals(List.of("pipeline_id", "name", "blank"), paths(b));
        assertTrue(b.problems().get(0).message().startsWith("missing"));
    }
}
