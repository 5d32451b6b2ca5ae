package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.pipeline.RetryPolicy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineGraphTest {

    /** Builds a pipeline straight from (name, inputs, outputs) triples, bypassing the validator. */
    private static final class Builder {
        private final Map<String, DataNode> data = new LinkedHashMap<>();
        private final Map<String, ProcessNode> nodes = new LinkedHashMap<>();

        Builder node(String name, List<String> input, List<String> output) {
            input.forEach(d -> data.putIfAbsent(d, new DataNode(d, null)));
            output.forEach(d -> data.putIfAbsent(d, new DataNode(d, null)));
            nodes.put(name, new ProcessNode(name, input, output, "proc", Map.of(), ProcessNode.DEFAULT_POOL,
                    null, null, null, RetryPolicy.NONE));
            return this;
        }

        PipelineGraph graph() {
            return new PipelineGraph(new Pipeline(null, null, data, nodes, Map.of(), null, null, List.of()));
        }
    }

    private static Builder pipeline() {
        return new Builder();
    }

    /** Diamond a -> (b, c) -> d, plus a side branch that leads only to "report". */
    private static PipelineGraph diamondWithSideBranch() {
        return pipeline()
                .node("a", List.of("raw"), List.of("x"))
                .node("b", List.of("x"), List.of("y"))
                .node("c", List.of("x"), List.of("z"))
                .node("d", List.of("y", "z"), List.of("final"))
                .node("side", List.of("raw2"), List.of("report"))
                .graph();
    }

    private static void assertParentsFirst(PipelineGraph graph, List<String> order) {
        assertEquals(graph.pipeline().processNodes().size(), order.size());
        assertEquals(Set.copyOf(graph.pipeline().processNodes().keySet()), Set.copyOf(order));
        for (String node : order) {
            for (String parent : graph.parentsOf(node)) {
                assertTrue(order.indexOf(parent) < order.indexOf(node), parent + " must come before " + node + " in " + order);
            }
        }
    }

    // ------------------------------------------------------------------ structure

    @Test
    void parentsChildrenAndProducers() {
        PipelineGraph g = diamondWithSideBranch();
        assertEquals(Set.of(), g.parentsOf("a"));
        assertEquals(List.of("b", "c"), List.copyOf(g.childrenOf("a")));
        assertEquals(Set.of("a"), g.parentsOf("b"));
        assertEquals(List.of("b", "c"), List.copyOf(g.parentsOf("d")));
        assertEquals(Set.of(), g.childrenOf("d"));
        assertEquals(Set.of(), g.parentsOf("side"));
        assertEquals(Set.of(), g.childrenOf("side"));
        assertEquals(Set.of(), g.parentsOf("no-such-node"));
        assertEquals("a", g.producerOf("x"));
        assertEquals("d", g.producerOf("final"));
        assertNull(g.producerOf("raw"));
        assertTrue(g.isProduced("y"));
        assertFalse(g.isProduced("raw2"));
        assertThrows(UnsupportedOperationException.class, () -> g.childrenOf("a").add("zzz"));
    }

    @Test
    void taskWithThreeInputsAndTwoOutputs() {
        PipelineGraph g = pipeline()
                .node("task1", List.of("data1", "data2", "data3"), List.of("data4", "data5"))
                .node("report", List.of("data5"), List.of("data6"))
                .node("archive", List.of("data4", "data5"), List.of("data7"))
                .graph();
        assertEquals("task1", g.producerOf("data4"));
        assertEquals("task1", g.producerOf("data5"));
        assertEquals(Set.of("task1"), g.parentsOf("archive"), "two edges to the same parent count once");
        assertEquals(List.of("report", "archive"), List.copyOf(g.childrenOf("task1")));
        assertEquals(List.of("task1", "report", "archive"), g.topologicalOrder());

        ExecutionPlan all = g.plan(Set.of(), Set.of("data1", "data2", "data3"));
        assertEquals(List.of("task1", "report", "archive"), all.run());
        assertEquals(List.of("data1", "data2", "data3"), all.jobInputs());
        assertTrue(all.runnable());

        ExecutionPlan missingTwo = g.plan(Set.of("data4"), Set.of("data2"));
        assertEquals(List.of("task1"), missingTwo.run());
        assertEquals(List.of("report", "archive"), missingTwo.pruned());
        assertEquals(Map.of("task1", List.of("data1", "data3")), missingTwo.missing());
        assertFalse(missingTwo.runnable());
    }

    // ------------------------------------------------------------------ topological order

    @Test
    void topologicalOrderPutsParentsFirst() {
        PipelineGraph g = diamondWithSideBranch();
        List<String> order = g.topologicalOrder();
        assertParentsFirst(g, order);
        assertTrue(order.indexOf("b") < order.indexOf("c"), "b and c become ready together: declaration order");
        assertTrue(order.indexOf("a") < order.indexOf("side"), "a and side are ready together: declaration order");
    }

    @Test
    void independentNodesKeepDeclarationOrder() {
        PipelineGraph g = pipeline()
                .node("zeta", List.of("i1"), List.of("o1"))
                .node("alpha", List.of("i2"), List.of("o2"))
                .node("mid", List.of("i3"), List.of("o3"))
                .graph();
        assertEquals(List.of("zeta", "alpha", "mid"), g.topologicalOrder());
    }

    @Test
    void childrenDeclaredBeforeParentsStillComeAfter() {
        PipelineGraph g = pipeline()
                .node("last", List.of("c"), List.of("d"))
                .node("middle", List.of("b"), List.of("c"))
                .node("first", List.of("a"), List.of("b"))
                .graph();
        assertEquals(List.of("first", "middle", "last"), g.topologicalOrder());
    }

    @Test
    void twoTaskPipelineFromYaml() {
        PipelineParser.Result result = new PipelineParser().parse("""
                dataNodes:
                  data_node_1: {source: my_input.csv}
                  data_node_2: {source: intermediate.csv}
                  data_node_3: {source: my_output.csv}
                processNodes:
                  process_node_2: {input: [data_node_2], output: [data_node_3], processor: my_second_task}
                  process_node_1: {input: [data_node_1], output: [data_node_2], processor: my_first_task}
                """);
        assertTrue(result.valid(), result.problems()::toString);
        PipelineGraph g = new PipelineGraph(result.pipeline());
        assertEquals(List.of("process_node_1", "process_node_2"), g.topologicalOrder());
        assertEquals(Set.of("process_node_1"), g.parentsOf("process_node_2"));
        assertEquals(List.of("data_node_1"), g.plan(Set.of(), Set.of("data_node_1")).jobInputs());
    }

    // ------------------------------------------------------------------ cycles

    @Test
    void acyclicGraphHasNoCycles() {
        assertEquals(List.of(), diamondWithSideBranch().cycles());
    }

    @Test
    void cycleOfTwo() {
        PipelineGraph g = pipeline()
                .node("t1", List.of("a"), List.of("b"))
                .node("t2", List.of("b"), List.of("a"))
                .graph();
        assertEquals(List.of(List.of("t1", "t2", "t1")), g.cycles());
        IllegalStateException e = assertThrows(IllegalStateException.class, g::topologicalOrder);
        assertTrue(e.getMessage().contains("cycle"));
    }

    @Test
    void cycleOfThreeWithATail() {
        PipelineGraph g = pipeline()
                .node("head", List.of("in"), List.of("h"))
                .node("t1", List.of("h", "c"), List.of("a"))
                .node("t2", List.of("a"), List.of("b"))
                .node("t3", List.of("b"), List.of("c"))
                .node("tail", List.of("c"), List.of("out"))
                .graph();
        List<List<String>> cycles = g.cycles();
        assertEquals(1, cycles.size());
        assertEquals(List.of("t1", "t2", "t3", "t1"), cycles.get(0));
        assertThrows(IllegalStateException.class, g::topologicalOrder);
    }

    @Test
    void selfLoopIsACycle() {
        PipelineGraph g = pipeline().node("t1", List.of("a"), List.of("a")).graph();
        assertEquals(List.of(List.of("t1", "t1")), g.cycles());
    }

    @Test
    void twoSeparateCyclesAreBothReported() {
        PipelineGraph g = pipeline()
                .node("p1", List.of("a"), List.of("b"))
                .node("p2", List.of("b"), List.of("a"))
                .node("q1", List.of("c"), List.of("d"))
                .node("q2", List.of("d"), List.of("e"))
                .node("q3", List.of("e"), List.of("c"))
                .graph();
        assertEquals(List.of(List.of("p1", "p2", "p1"), List.of("q1", "q2", "q3", "q1")), g.cycles());
    }

    // ------------------------------------------------------------------ plan

    @Test
    void fullRunWhenNothingIsWanted() {
        PipelineGraph g = diamondWithSideBranch();
        for (Set<String> wanted : List.<Set<String>>of(Set.of(), new LinkedHashSet<>())) {
            ExecutionPlan plan = g.plan(wanted, Set.of("raw", "raw2"));
            assertEquals(g.topologicalOrder(), plan.run());
            assertEquals(List.of(), plan.pruned());
            assertEquals(List.of("raw", "raw2"), plan.jobInputs());
            assertEquals(Map.of(), plan.missing());
            assertTrue(plan.runnable());
        }
        assertEquals(g.topologicalOrder(), g.plan(null, Set.of("raw", "raw2")).run(), "null means everything too");
    }

    @Test
    void prunesNodesThatDoNotLeadToWantedOutputs() {
        PipelineGraph g = diamondWithSideBranch();
        ExecutionPlan plan = g.plan(Set.of("final"), Set.of("raw"));
        assertEquals(List.of("a", "b", "c", "d"), plan.run());
        assertEquals(List.of("side"), plan.pruned());
        assertEquals(List.of("raw"), plan.jobInputs(), "raw2 is only read by the pruned branch");
        assertEquals(Map.of(), plan.missing());
        assertTrue(plan.runnable());

        ExecutionPlan onlyY = g.plan(Set.of("y"), Set.of("raw"));
        assertEquals(List.of("a", "b"), onlyY.run());
        assertParentsFirst(g, concat(onlyY.run(), onlyY.pruned()));
        assertEquals(Set.of("c", "d", "side"), Set.copyOf(onlyY.pruned()));

        ExecutionPlan intermediate = g.plan(Set.of("x", "report"), Set.of("raw", "raw2"));
        assertEquals(Set.of("a", "side"), Set.copyOf(intermediate.run()));
        assertEquals(Set.of("b", "c", "d"), Set.copyOf(intermediate.pruned()));
    }

    @Test
    void missingInputsAreReportedPerNode() {
        PipelineGraph g = diamondWithSideBranch();
        ExecutionPlan plan = g.plan(Set.of(), Set.of("raw"));
        assertEquals(List.of("raw", "raw2"), plan.jobInputs());
        assertEquals(Map.of("side", List.of("raw2")), plan.missing());
        assertFalse(plan.runnable());

        ExecutionPlan nothing = g.plan(Set.of("final", "report"), Set.of());
        assertEquals(Map.of("a", List.of("raw"), "side", List.of("raw2")), nothing.missing());
    }

    @Test
    void producedInputsAreNeverJobInputs() {
        PipelineGraph g = diamondWithSideBranch();
        ExecutionPlan plan = g.plan(Set.of("final"), Set.of("raw", "x", "y"));
        assertEquals(List.of("raw"), plan.jobInputs(), "x and y are produced by the run, not read from outside");
    }

    // ------------------------------------------------------------------ size

    @Test
    void twoThousandNodeFanOutFanIn() {
        int width = 2_000;
        Builder b = pipeline().node("split", List.of("in"), List.of("parts"));
        List<String> partials = new ArrayList<>();
        for (int i = 0; i < width; i++) {
            b.node("work" + i, List.of("parts"), List.of("partial" + i));
            partials.add("partial" + i);
        }
        b.node("join", partials, List.of("result"));
        PipelineGraph g = b.graph();

        assertEquals(width, g.childrenOf("split").size());
        assertEquals(width, g.parentsOf("join").size());
        assertEquals(List.of(), g.cycles());
        List<String> order = g.topologicalOrder();
        assertEquals(width + 2, order.size());
        assertEquals("split", order.get(0));
        assertEquals("join", order.get(order.size() - 1));
        assertEquals("work0", order.get(1));
        assertEquals("work1999", order.get(width));

        ExecutionPlan all = g.plan(Set.of("result"), Set.of("in"));
        assertEquals(order, all.run());
        assertTrue(all.runnable());
        assertEquals(List.of("in"), all.jobInputs());

        ExecutionPlan one = g.plan(Set.of("partial1234"), Set.of());
        assertEquals(List.of("split", "work1234"), one.run());
        assertEquals(width, one.pruned().size());
        assertEquals(Map.of("split", List.of("in")), one.missing());
    }

    @Test
    void twoThousandNodeChain() {
        int length = 2_000;
        Builder b = pipeline();
        for (int i = length - 1; i >= 0; i--) { // declared backwards on purpose
            b.node("step" + i, List.of("d" + i), List.of("d" + (i + 1)));
        }
        PipelineGraph g = b.graph();
        assertEquals(List.of(), g.cycles());
        List<String> order = g.topologicalOrder();
        for (int i = 0; i < length; i++) {
            assertEquals("step" + i, order.get(i));
        }
        ExecutionPlan half = g.plan(Set.of("d1000"), Set.of("d0"));
        assertEquals(1_000, half.run().size());
        assertEquals(1_000, half.pruned().size());

        // closing the chain into one big cycle is found without recursion
        Builder ring = pipeline();
        for (int i = 0; i < length; i++) {
            ring.node("r" + i, List.of("e" + i), List.of("e" + ((i + 1) % length)));
        }
        List<List<String>> cycles = ring.graph().cycles();
        assertEquals(1, cycles.size());
        assertEquals(length + 1, cycles.get(0).size());
        assertEquals(cycles.get(0).get(0), cycles.get(0).get(length));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
