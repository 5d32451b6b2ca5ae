package dev.pipewright.worker.builtin;

import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BranchProcessorTest {
    private final List<String> log = new ArrayList<>();

    private TaskContext ctx(Map<String, Object> config, Map<String, Object> params, String input, Set<String> optional) {
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        inputs.put("req", input.getBytes(StandardCharsets.UTF_8));
        return new TaskContext("j", "route", 1, inputs, List.of("big", "small"), config, params, log::add, optional);
    }

    @Test
    void routesTheInputUnchangedToTheChosenOutputOnly() throws Exception {
        TaskResult r = new BranchProcessor().process(ctx(Map.of("on", "${size}", "cases", Map.of("large", "big", "small", "small")),
                Map.of("size", "small"), "payload", Set.of("big", "small")));
        assertEquals(Set.of("small"), r.outputs().keySet());
        assertArrayEquals("payload".getBytes(StandardCharsets.UTF_8), r.outputs().get("small"));
        assertEquals(List.of("branch: routed to 'small'"), log);
    }

    @Test
    void aJsonRuleReadsTheInput() throws Exception {
        TaskResult r = new BranchProcessor().process(ctx(Map.of("on", Map.of("json", "/kind"), "cases", Map.of("x", "big"),
                "default", "small"), Map.of(), "{\"kind\": \"x\"}", Set.of("big", "small")));
        assertEquals(Set.of("big"), r.outputs().keySet());
    }

    @Test
    void noMatchingCaseFailsForGood() {
        TaskFailure f = assertThrows(TaskFailure.class, () -> new BranchProcessor().process(ctx(
                Map.of("on", "${size}", "cases", Map.of("large", "big")), Map.of("size", "tiny"), "p", Set.of("big", "small"))));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("'tiny', which matches no case"), f.getMessage());
    }

    @Test
    void aBadRuleOrARequiredOutputItWouldLeaveOutFailsForGood() {
        TaskFailure bad = assertThrows(TaskFailure.class, () -> new BranchProcessor().process(ctx(
                Map.of("cases", Map.of("large", "big")), Map.of(), "p", Set.of("big", "small"))));
        assertFalse(bad.retryable());
        assertTrue(bad.getMessage().contains("config.on: missing"), bad.getMessage());
        TaskFailure required = assertThrows(TaskFailure.class, () -> new BranchProcessor().process(ctx(
                Map.of("on", "${size}", "cases", Map.of("large", "big")), Map.of("size", "large"), "p", Set.of("big"))));
        assertTrue(required.getMessage().contains("output 'small' is not declared optional"), required.getMessage());
    }
}
