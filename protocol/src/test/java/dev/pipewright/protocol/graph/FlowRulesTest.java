package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Problem;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code after} edges in the graph and the validator's rules for them and for branch nodes. */
class FlowRulesTest {
    private static PipelineParser.Result parse(String yaml) {
        return new PipelineParser().parse(yaml);
    }

    private static PipelineGraph graph(String yaml) {
        PipelineParser.Result r = parse(yaml);
        assertTrue(r.valid(), () -> r.problems().toString());
        return new PipelineGraph(r.pipeline());
    }

    private static void assertProblem(String yaml, String path, String message) {
        List<Problem> problems = parse(yaml).problems();
        assertTrue(problems.stream().anyMatch(p -> p.path().equals(path) && p.message().contains(message)),
                () -> "expected " + path + ": " + message + ", got " + problems);
    }

    private static final String ORDERED = """
            dataNodes: {seed: {}, a: {}, b: {}, c: {}}
            processNodes:
              load: {input: [seed], output: [a], processor: identity, after: [migrate]}
              migrate: {input: [seed], output: [b], processor: identity}
              report: {input: [a], output: [c], processor: identity, after: migrate}
            """;

    @Test
    void afterParentsCountAsParentsAndOrderThePlan() {
        PipelineGraph g = graph(ORDERED);
        assertEquals(Set.of("migrate"), g.parentsOf("load"));
        assertEquals(Set.of("load", "migrate"), g.parentsOf("report"));
        assertEquals(Set.of("load", "report"), g.childrenOf("migrate"));
        assertEquals(Set.of("migrate"), g.orderingParentsOf("report"));
        assertEquals(List.of("migrate", "load", "report"), g.topologicalOrder());
        // wanting only c runs what c's producer runs after, though no data flows from it
        assertEquals(List.of("migrate", "load", "report"), g.plan(Set.of("c"), Set.of("seed")).run());
    }

    @Test
    void anAfterEdgeAlongADataEdgeIsNotCountedTwice() {
        PipelineGraph g = graph("""
                dataNodes: {seed: {}, a: {}, b: {}}
                processNodes:
                  one: {input: [seed], output: [a], processor: identity}
                  two: {input: [a], output: [b], processor: identity, after: [one]}
                """);
        assertEquals(Set.of("one"), g.parentsOf("two"));
        assertEquals(Set.of(), g.orderingParentsOf("two"), "already a data parent");
    }

    @Test
    void afterNamingAnUnknownNodeItselfOrTwiceIsRefused() {
        String yaml = """
                dataNodes: {seed: {}, a: {}, b: {}}
                processNodes:
                  one: {input: [seed], output: [a], processor: identity}
                  two: {input: [seed], output: [b], processor: identity, after: [ghost, two, one, one]}
                """;
        assertProblem(yaml, "processNodes.two.after[0]", "unknown process node 'ghost'");
        assertProblem(yaml, "processNodes.two.after[1]", "'two' cannot run after itself");
        assertProblem(yaml, "processNodes.two.after[3]", "listed twice");
    }

    @Test
    void aCycleThroughAfterAndDataIsRefused() {
        assertProblem("""
                dataNodes: {seed: {}, a: {}, b: {}}
                processNodes:
                  one: {input: [seed], output: [a], processor: identity, after: [two]}
                  two: {input: [a], output: [b], processor: identity}
                """, "processNodes.one", "cycle: one -> two -> one");
        assertProblem("""
                dataNodes: {s: {}, a: {}, b: {}}
                processNodes:
                  one: {input: [s], output: [a], processor: identity, after: [two]}
                  two: {input: [s], output: [b], processor: identity, after: [one]}
                """, "processNodes.one", "cycle");
    }

    private static final String BRANCH_DATA = """
            parameters: {size: string}
            dataNodes:
              req:
              big: {optional: true}
              small: {optional: true}
              plain:
            """;

    @Test
    void aGoodBranchIsAccepted() {
        graph(BRANCH_DATA + """
                processNodes:
                  route:
                    input: [req]
                    output: [big, small]
                    processor: branch
                    config: {on: "${size}", cases: {large: big, small: small}}
                """);
    }

    @Test
    void aBranchMustHaveOneInputOptionalOutputsAndAGoodRule() {
        String yaml = BRANCH_DATA + """
                processNodes:
                  route:
                    input: [req, plain]
                    output: [big, small, plain]
                    processor: branch
                    config: {on: "${sz}", cases: {large: big, small: nowhere}}
                """;
        assertProblem(yaml, "processNodes.route.input", "exactly one input, got 2");
        assertProblem(yaml, "processNodes.route.output[2]", "data node 'plain' is an output of a branch");
        assertProblem(yaml, "processNodes.route.config.on", "placeholder ${sz} names no declared parameter");
        assertProblem(yaml, "processNodes.route.config.cases.small", "'nowhere' is not an output of this node");
        assertProblem(BRANCH_DATA + """
                processNodes:
                  route: {input: [req], output: [big], processor: branch, config: {on: "${size}", cases: {a: big}}}
                """, "processNodes.route.output", "at least two");
        assertProblem(BRANCH_DATA + """
                processNodes:
                  route: {input: [req], output: [big, small], processor: branch}
                """, "processNodes.route.config.on", "missing");
    }
}
