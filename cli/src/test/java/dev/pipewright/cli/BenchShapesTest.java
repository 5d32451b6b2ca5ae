package dev.pipewright.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchShapesTest {
    private static Pipeline parse(BenchShapes.Generated g) throws Exception {
        String text = new ObjectMapper().writeValueAsString(g.document());
        PipelineParser.Result r = new PipelineParser().parse(text);
        assertEquals(List.of(), r.problems(), g.shape());
        return r.pipeline();
    }

    @Test
    void w1IsTenThousandIndependentTasks() throws Exception {
        BenchShapes.Generated g = BenchShapes.w1("default");
        Pipeline p = parse(g);
        assertEquals(10_000, g.tasks());
        assertEquals(10_000, p.processNodes().size());
        assertEquals(10_000, p.dataNodes().size());
        for (ProcessNode n : p.processNodes().values()) {
            assertEquals(List.of(), n.input());
            assertEquals(1, n.output().size());
            assertEquals("noop", n.processor());
            assertEquals("default", n.pool());
        }
        assertEquals(10_000, BenchCheck.terminalDataNodes(p).size());
        assertEquals("bench-W1", g.pipelineName());
    }

    @Test
    void w2IsAChainOfAThousand() throws Exception {
        BenchShapes.Generated g = BenchShapes.w2("default");
        Pipeline p = parse(g);
        assertEquals(1_000, p.processNodes().size());
        assertEquals(1_000, g.chain().size());
        PipelineGraph graph = new PipelineGraph(p);
        assertEquals(g.chain(), graph.topologicalOrder());
        assertEquals(List.of(), p.processNodes().get(g.chain().get(0)).input());
        for (int i = 1; i < g.chain().size(); i++) {
            assertEquals(Set.of(g.chain().get(i - 1)), graph.parentsOf(g.chain().get(i)));
        }
        assertEquals(List.of("h0999"), BenchCheck.terminalDataNodes(p));
    }

    @Test
    void w3FansOutAndIn() throws Exception {
        BenchShapes.Generated g = BenchShapes.w3("default");
        Pipeline p = parse(g);
        assertEquals(2_002, g.tasks());
        assertEquals(2_002, p.processNodes().size());
        PipelineGraph graph = new PipelineGraph(p);
        assertEquals(List.of(), p.processNodes().get("source").input());
        assertEquals(2_000, graph.childrenOf("source").size());
        assertEquals(2_000, graph.parentsOf("sink").size());
        assertEquals(2_000, p.processNodes().get("sink").input().size());
        for (String child : graph.childrenOf("source")) {
            assertEquals(Set.of("source"), graph.parentsOf(child));
            assertEquals(Set.of("sink"), graph.childrenOf(child));
        }
        assertEquals(List.of("out"), BenchCheck.terminalDataNodes(p));
    }

    @Test
    void w4LayersReadTwoDistinctTasksOfThePreviousLayer() throws Exception {
        BenchShapes.Generated g = BenchShapes.w4(42, "default");
        Pipeline p = parse(g);
        assertEquals(2_000, g.tasks());
        assertEquals(2_000, p.processNodes().size());
        PipelineGraph graph = new PipelineGraph(p);
        for (int layer = 0; layer < 20; layer++) {
            for (int i = 0; i < 100; i++) {
                ProcessNode n = p.processNodes().get(BenchShapes.w4Task(layer, i));
                if (layer == 0) {
                    assertEquals(List.of(), n.input());
                    continue;
                }
                assertEquals(2, n.input().size(), n.name());
                assertEquals(2, new HashSet<>(n.input()).size(), n.name());
                Set<String> parents = graph.parentsOf(n.name());
                assertEquals(2, parents.size(), n.name());
                String prefix = String.format("L%02d_", layer - 1);
                for (String parent : parents) {
                    assertTrue(parent.startsWith(prefix), n.name() + " reads " + parent);
                }
            }
        }
    }

    @Test
    void w4IsDeterministicPerSeed() {
        assertEquals(BenchShapes.w4(42, "default").document(), BenchShapes.w4(42, "default").document());
        assertEquals(BenchShapes.w4(7, "default").document().get("processNodes"),
                BenchShapes.w4(7, "default").document().get("processNodes"));
        assertNotEquals(BenchShapes.w4(42, "default").document().get("processNodes"),
                BenchShapes.w4(43, "default").document().get("processNodes"));
    }

    @Test
    void poolIsSetOnlyWhenNotDefault() throws Exception {
        assertNull(BenchShapes.w2("default").document().at("/processNodes/c0000").get("pool"));
        Pipeline p = parse(BenchShapes.w2("fast"));
        for (ProcessNode n : p.processNodes().values()) {
            assertEquals("fast", n.pool());
        }
    }

    @Test
    void w5IsTwoThousandJobsOfAChainOfThree() throws Exception {
        BenchShapes.Generated g = BenchShapes.w5("default");
        Pipeline p = parse(g);
        assertEquals(3, g.tasks());
        assertEquals(2_000, g.jobs());
        assertEquals(32, g.clients());
        assertEquals(6_000, g.totalTasks());
        assertEquals(List.of("s0", "s1", "s2"), new PipelineGraph(p).topologicalOrder());
        assertEquals(List.of("v2"), BenchCheck.terminalDataNodes(p));
        assertEquals("bench-W5", g.pipelineName());
        assertEquals(1, BenchShapes.w1("default").jobs());
        assertEquals(10_000, BenchShapes.w1("default").totalTasks());
    }

    @Test
    void shapeNames() {
        assertEquals("W3", BenchShapes.normalize(" w3 "));
        assertEquals("W5", BenchShapes.normalize("w5"));
        assertNull(BenchShapes.normalize("W6"));
        for (String s : BenchShapes.ALL) {
            assertEquals(s, BenchShapes.generate(s, 42, "default").shape());
        }
    }
}
