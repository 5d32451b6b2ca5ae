package dev.pipewright.protocol.message;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageJsonTest {
    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void taskMessageRoundTripsThroughBusMessage() throws Exception {
        TaskMessage message = new TaskMessage(TaskMessage.VERSION, "lz9k3abcdefghijk", 7, "task1", 42L);
        String json = mapper.writerFor(BusMessage.class).writeValueAsString(message);

        JsonNode tree = mapper.readTree(json);
        assertEquals("task", tree.get("type").asText());
        assertEquals(1, tree.get("v").asInt());
        assertEquals("lz9k3abcdefghijk", tree.get("job").asText());
        assertEquals(7, tree.get("shard").asInt());
        assertEquals("task1", tree.get("node").asText());
        assertEquals(42L, tree.get("dispatch").asLong());

        BusMessage back = mapper.readValue(json, BusMessage.class);
        TaskMessage task = assertInstanceOf(TaskMessage.class, back);
        assertEquals(message, task);
        assertEquals(TaskMessage.VERSION, back.v());
    }

    @Test
    void concreteTypeAlsoCarriesTheTypeProperty() throws Exception {
        TaskMessage message = new TaskMessage(1, "abcdefgh", 0, "n", Long.MAX_VALUE);
        String json = mapper.writeValueAsString(message);
        assertEquals("task", mapper.readTree(json).get("type").asText());
        assertEquals(message, mapper.readValue(json, BusMessage.class));
        assertEquals(message, mapper.readValue(json, TaskMessage.class));
    }

    @Test
    void readsAHandWrittenMessageWhateverTheFieldOrder() throws Exception {
        String json = """
                {"dispatch": 3, "node": "process_node_1", "shard": 12, "job": "abcdefgh12", "v": 1, "type": "task"}
                """;
        assertEquals(new TaskMessage(1, "abcdefgh12", 12, "process_node_1", 3), mapper.readValue(json, BusMessage.class));
    }

    @Test
    void unknownOrMissingTypeIsRefused() {
        assertThrows(InvalidTypeIdException.class,
                () -> mapper.readValue("{\"type\":\"bogus\",\"v\":1}", BusMessage.class));
        assertThrows(InvalidTypeIdException.class,
                () -> mapper.readValue("{\"v\":1,\"job\":\"abcdefgh\"}", BusMessage.class));
    }

    @Test
    void poolControlRoundTripsThroughBusMessage() throws Exception {
        for (boolean paused : new boolean[] {true, false}) {
            PoolControl message = new PoolControl(PoolControl.VERSION, "gpu", paused);
            String json = mapper.writerFor(BusMessage.class).writeValueAsString(message);
            JsonNode tree = mapper.readTree(json);
            assertEquals("pool", tree.get("type").asText());
            assertEquals("gpu", tree.get("pool").asText());
            assertEquals(paused, tree.get("paused").asBoolean());
            assertEquals(message, assertInstanceOf(PoolControl.class, mapper.readValue(json, BusMessage.class)));
        }
        assertEquals(new PoolControl(1, "default", true),
                mapper.readValue("{\"paused\": true, \"pool\": \"default\", \"v\": 1, \"type\": \"pool\"}", BusMessage.class));
    }

    @Test
    void stopAttemptsRoundTrips() throws Exception {
        StopAttempts stop = new StopAttempts(StopAttempts.VERSION, "abcdefgh", null, null, "job cancelled");
        String json = mapper.writerFor(BusMessage.class).writeValueAsString(stop);
        assertEquals("stop", mapper.readTree(json).get("type").asText());
        assertEquals(stop, mapper.readValue(json, BusMessage.class));
    }

    @Test
    void taskSpecRoundTrips() throws Exception {
        TaskSpec spec = new TaskSpec("my_module", Map.of("threshold", 0.5, "columns", List.of("a", "b")),
                List.of("data1", "data2", "data3"), List.of("data4", "data5"), 30_000);
        String json = mapper.writeValueAsString(spec);
        TaskSpec back = mapper.readValue(json, TaskSpec.class);
        assertEquals(spec, back);
        assertEquals(List.of("data1", "data2", "data3"), back.inputs());
    }

    @Test
    void completionEventFromFields() {
        CompletionEvent ok = CompletionEvent.fromFields(Map.of("j", "abcdefgh", "n", "task1", "a", "3", "o", "ok"));
        assertEquals(new CompletionEvent("abcdefgh", "task1", "3", CompletionEvent.Outcome.SUCCESS), ok);

        CompletionEvent failed = CompletionEvent.fromFields(Map.of("j", "abcdefgh", "n", "task1", "a", "4", "o", "failed"));
        assertEquals(CompletionEvent.Outcome.FAILED, failed.outcome());

        CompletionEvent noAttempt = CompletionEvent.fromFields(Map.of("j", "abcdefgh", "n", "task1", "o", "ok"));
        assertEquals("", noAttempt.attempt());

        CompletionEvent anythingElseFails = CompletionEvent.fromFields(Map.of("j", "abcdefgh", "n", "t", "o", "OK"));
        assertEquals(CompletionEvent.Outcome.FAILED, anythingElseFails.outcome());
    }

    @Test
    void completionEventNeedsJobNodeAndOutcome() {
        for (String missing : List.of("j", "n", "o")) {
            Map<String, String> fields = new HashMap<>(Map.of("j", "abcdefgh", "n", "task1", "a", "1", "o", "ok"));
            fields.remove(missing);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CompletionEvent.fromFields(fields));
            assertTrue(e.getMessage().contains("lacks j, n or o"), e.getMessage());
        }
    }

    @Test
    void completionEventJsonRoundTrip() throws Exception {
        CompletionEvent event = new CompletionEvent("abcdefgh", "task1", "2", CompletionEvent.Outcome.SUCCESS);
        assertEquals(event, mapper.readValue(mapper.writeValueAsString(event), new TypeReference<CompletionEvent>() { }));
    }
}
