package dev.pipewright.protocol.render;

import dev.pipewright.protocol.graph.PipelineGraph;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An {@code after} edge is drawn from process node to process node, apart from data edges. */
class OrderingEdgeTest {
    private final PipelineGraph graph = Pipelines.graph("""
            dataNodes: {seed: {}, a: {}, b: {}}
            processNodes:
              migrate: {input: [seed], output: [a], processor: identity}
              load: {input: [seed], output: [b], processor: identity, after: [migrate]}
            """);

    @Test
    void theViewHasOneOrderingEdge() {
        List<GraphView.Edge> ordering = GraphView.of("p", graph).edges().stream().filter(GraphView.Edge::ordering).toList();
        assertEquals(List.of(new GraphView.Edge("p:migrate", "p:load", false, true)), ordering);
    }

    @Test
    void dotAndMermaidDrawItDotted() {
        DotParser dot = new DotParser(DotRenderer.render(GraphView.of("p", graph)));
        DotParser.Edge e = dot.edges.stream().filter(x -> x.from().equals("p:migrate") && x.to().equals("p:load")).findFirst().orElseThrow();
        assertEquals("dotted", e.attrs().get("style"));
        assertEquals("after", e.attrs().get("label"));
        String mermaid = MermaidRenderer.render(GraphView.of("p", graph));
        assertTrue(mermaid.contains(" -. after .-> "), mermaid);
    }
}
