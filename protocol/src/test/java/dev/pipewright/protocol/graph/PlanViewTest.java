package dev.pipewright.protocol.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Problem;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanViewTest {
    private static final PipelineGraph GRAPH = graph("""
            name: p
            dataNodes:
              raw: {source: "in/raw.csv"}
              extra:
              other:
              x:
              y:
              report:
            processNodes:
              side: {input: [other], output: [report], processor: identity}
              a: {input: [raw], output: [x], processor: identity, pool: gpu}
              b: {input: [x, extra], output: [y], processor: concat}
            """);

    private static PipelineGraph graph(String yaml) {
        PipelineParser.Result r = new PipelineParser().parse(yaml);
        assertTrue(r.valid(), r.problems()::toString);
        return new PipelineGraph(r.pipeline());
    }

    @Test
    void listsEveryNodeInExecutionOrderWithWhatHappensToIt() {
        PlanView plan = PlanView.of(GRAPH, List.of("y"), List.of());
        assertEquals(List.of("side", "a", "b"), plan.nodes().stream().map(PlanView.Step::node).toList());
        assertEquals(List.of("pruned", "run", "run"), plan.nodes().stream().map(PlanView.Step::status).toList());
        assertEquals(List.of("a", "b"), plan.run());
        assertEquals(List.of("side"), plan.pruned());
        assertEquals(Map.of("b", List.of("extra")), plan.missing());
        assertEquals(List.of("extra"), plan.nodes().get(2).missing());
        assertEquals("gpu", plan.nodes().get(1).pool());
        assertEquals("concat", plan.nodes().get(2).processor());
        assertEquals(List.of("raw"), plan.available(), "inputs with a source count as available");
        assertFalse(plan.runnable());

        PlanView given = PlanView.of(GRAPH, List.of("y"), List.of("extra"));
        assertTrue(given.runnable());
        assertTrue(given.missing().isEmpty());
        assertEquals(List.of("extra", "raw"), given.available());
    }

    @Test
    void noOutputsMeansEverything() {
        PlanView all = PlanView.of(GRAPH, List.of(), List.of("extra", "other"));
        assertEquals(List.of("side", "a", "b"), all.run());
        assertTrue(all.pruned().isEmpty());
        assertTrue(all.runnable());
    }

    @Test
    void checkNamesUnknownAndProducedNodes() {
        List<Problem> problems = PlanView.check(GRAPH, List.of("y", "nope"), List.of("extra", "x", "zz"));
        assertEquals(List.of(
                new Problem("outputs[1]", "unknown data node 'nope'"),
                new Problem("available[1]", "data node 'x' is written by process node 'a'; only job inputs can be given"),
                new Problem("available[2]", "unknown data node 'zz'")), problems);
        assertTrue(PlanView.check(GRAPH, List.of("y"), List.of("extra")).isEmpty());
    }

    @Test
    void jsonKeepsTheSummaryFieldsOfThePlan() throws Exception {
        JsonNode json = new ObjectMapper().valueToTree(PlanView.of(GRAPH, List.of("y"), List.of()));
        for (String field : List.of("outputs", "available", "runnable", "nodes", "run", "pruned", "jobInputs", "missing")) {
            assertTrue(json.has(field), field);
        }
        assertEquals("pruned", json.path("nodes").path(0).path("status").asText());
        assertEquals("extra", json.path("missing").path("b").path(0).asText());
    }

    @Test
    void aWantedOutputThatIsAJobInputSaysWhyEverythingIsPruned() {
        PlanView plan = PlanView.of(GRAPH, List.of("raw"), List.of());
        assertEquals(List.of(), plan.run());
        assertEquals(3, plan.pruned().size());
        assertEquals(2, plan.notes().size(), plan.notes()::toString);
        assertTrue(plan.notes().get(0).contains("'raw' is a job input"), plan.notes()::toString);
        assertTrue(plan.notes().get(1).startsWith("nothing runs"), plan.notes()::toString);
        assertEquals(List.of(), PlanView.of(GRAPH, List.of("y"), List.of()).notes());
    }
}
