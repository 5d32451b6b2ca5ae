package dev.pipewright.protocol.branch;

import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BranchRuleTest {
    private static final List<String> OUTPUTS = List.of("big", "small", "other");

    private static BranchRule rule(Map<String, Object> config) throws BranchRule.Invalid {
        return BranchRule.parse(config, "processNodes.route.config", OUTPUTS, Set.of("size"));
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aParameterChoosesItsCase() throws Exception {
        BranchRule r = rule(Map.of("on", "${size}", "cases", Map.of("large", "big", "small", "small")));
        assertEquals("big", r.route(Map.of("size", "large"), json("x")));
        assertEquals("small", r.route(Map.of("size", "small"), json("x")));
    }

    @Test
    void aNumberOrBooleanIsComparedByItsText() throws Exception {
        BranchRule r = BranchRule.parse(Map.of("on", Map.of("json", "/n"), "cases", Map.of("3", "big", "true", "small")),
                "c", OUTPUTS, null);
        assertEquals("big", r.route(Map.of(), json("{\"n\": 3}")));
        assertEquals("small", r.route(Map.of(), json("{\"n\": true}")));
        BranchRule p = rule(Map.of("on", "${size}", "cases", Map.of("7", "big")));
        assertEquals("big", p.route(Map.of("size", 7), json("")));
    }

    @Test
    void theSubmitLeavesABranchRuleForTheWorkerAndItsLiteralsStillRoute() throws Exception {
        ProcessNode route = new ProcessNode("route", List.of("in"), List.copyOf(OUTPUTS), "branch",
                Map.of("on", "${size}", "cases", Map.of("large", "big"), "default", "small"), "default", null, null, null, null);
        assertEquals(Map.of("cases", Map.of("large", "big"), "default", "small"), BranchRule.withoutRule(route));
        assertEquals(route.config(), BranchRule.withRule(route, BranchRule.withoutRule(route)));
        // a rule resolved to a number or boolean (as a run's config may give it) is compared by its text
        BranchRule n = BranchRule.parse(Map.of("on", 7, "cases", Map.of("7", "big"), "default", "small"), "c", OUTPUTS, null);
        assertEquals("big", n.route(Map.of(), json("")));
        BranchRule b = BranchRule.parse(Map.of("on", false, "cases", Map.of("true", "big"), "default", "small"), "c", OUTPUTS, null);
        assertEquals("small", b.route(Map.of(), json("")));
    }

    @Test
    void aJsonPointerReadsTheInput() throws Exception {
        BranchRule r = rule(Map.of("on", Map.of("json", "/meta/kind"), "cases", Map.of("a", "big"), "default", "other"));
        assertEquals("big", r.route(Map.of(), json("{\"meta\": {\"kind\": \"a\"}}")));
        assertEquals("other", r.route(Map.of(), json("{\"meta\": {\"kind\": \"b\"}}")));
        assertEquals("other", r.route(Map.of(), json("{\"meta\": {}}")), "absent: the default");
        assertEquals("other", r.route(Map.of(), json("{\"meta\": {\"kind\": {\"x\": 1}}}")), "not a scalar: the default");
    }

    @Test
    void noCaseAndNoDefaultIsRefusedWithTheValue() throws Exception {
        BranchRule r = rule(Map.of("on", "${size}", "cases", Map.of("large", "big")));
        BranchRule.NoRoute e = assertThrows(BranchRule.NoRoute.class, () -> r.route(Map.of("size", "tiny"), json("")));
        assertTrue(e.getMessage().contains("parameter 'size' is 'tiny', which matches no case (large) and there is no default"),
                e.getMessage());
        BranchRule.NoRoute absent = assertThrows(BranchRule.NoRoute.class, () -> r.route(Map.of(), json("")));
        assertTrue(absent.getMessage().contains("is absent"), absent.getMessage());
        BranchRule j = rule(Map.of("on", Map.of("json", "/k"), "cases", Map.of("a", "big")));
        BranchRule.NoRoute notJson = assertThrows(BranchRule.NoRoute.class, () -> j.route(Map.of(), json("{not json")));
        assertTrue(notJson.getMessage().contains("the input is not JSON"), notJson.getMessage());
    }

    @Test
    void aResolvedPlaceholderIsTakenAsTheValueOnAWorker() throws Exception {
        // per-run configuration may resolve ${size} before the worker sees it
        BranchRule r = BranchRule.parse(Map.of("on", "large", "cases", Map.of("large", "big")), "config", OUTPUTS, null);
        assertEquals("big", r.route(Map.of(), json("")));
    }

    @Test
    void everyProblemIsReportedWithItsLocation() {
        BranchRule.Invalid e = assertThrows(BranchRule.Invalid.class, () -> rule(Map.of(
                "on", "${nope}", "cases", Map.of("a", "elsewhere", "b", List.of("x")), "default", 3, "colour", "red")));
        Map<String, String> byPath = new java.util.HashMap<>();
        for (Problem p : e.problems()) {
            byPath.put(p.path(), p.message());
        }
        assertEquals("placeholder ${nope} names no declared parameter", byPath.get("processNodes.route.config.on"));
        assertTrue(byPath.get("processNodes.route.config.cases.a").contains("'elsewhere' is not an output of this node"));
        assertTrue(byPath.get("processNodes.route.config.cases.b").contains("expected the name of an output, got a list"));
        assertTrue(byPath.get("processNodes.route.config.default").contains("expected the name of an output"));
        assertTrue(byPath.get("processNodes.route.config.colour").contains("unknown setting"));
    }

    @Test
    void badShapesOfOnAndCases() {
        assertProblem(Map.of("cases", Map.of("a", "big")), "processNodes.route.config.on", "missing");
        assertProblem(Map.of("on", "large", "cases", Map.of("a", "big")), "processNodes.route.config.on", "expected \"${parameter}\"");
        assertProblem(Map.of("on", Map.of("json", "kind"), "cases", Map.of("a", "big")), "processNodes.route.config.on.json",
                "starts with '/'");
        assertProblem(Map.of("on", Map.of("json", "/k", "x", 1), "cases", Map.of("a", "big")), "processNodes.route.config.on",
                "expected");
        assertProblem(Map.of("on", "${size}"), "processNodes.route.config.cases", "missing");
        assertProblem(Map.of("on", "${size}", "cases", Map.of()), "processNodes.route.config.cases", "expected a mapping");
        assertProblem(Map.of("on", "${size}", "cases", "big"), "processNodes.route.config.cases", "expected a mapping");
    }

    private static void assertProblem(Map<String, Object> config, String path, String fragment) {
        BranchRule.Invalid e = assertThrows(BranchRule.Invalid.class, () -> rule(config));
        assertTrue(e.problems().stream().anyMatch(p -> p.path().equals(path) && p.message().contains(fragment)),
                () -> "expected " + path + ": ..." + fragment + "..., got " + e.problems());
    }
}
