package dev.pipewright.protocol.render;

import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.state.TaskState;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DotRendererTest {
    private final PipelineGraph graph = Pipelines.graph(Pipelines.BRANCHY);

    @Test
    void everyNodeOnceWithItsShapeAndEdgesRunDataToProcessToData() {
        DotParser dot = new DotParser(DotRenderer.render(GraphView.of("branchy", graph)));

        assertEquals(Set.of("d:raw", "d:raw2", "d:extra", "d:x", "d:y", "d:z", "d:report", "p:a", "p:b", "p:c", "p:side"),
                dot.nodes.keySet());
        dot.nodes.forEach((id, attrs) -> assertEquals(id.startsWith("d:") ? "ellipse" : "box", attrs.get("shape"), id));
        Set<String> edges = dot.edges.stream().map(e -> e.from() + " -> " + e.to()).collect(Collectors.toSet());
        assertEquals(Set.of("d:raw -> p:a", "p:a -> d:x", "d:x -> p:b", "p:b -> d:y", "d:x -> p:c", "d:extra -> p:c",
                "p:c -> d:z", "d:raw2 -> p:side", "p:side -> d:report"), edges);
        assertEquals(edges.size(), dot.edges.size(), "no edge twice");
        for (DotParser.Edge e : dot.edges) {
            assertTrue(dot.nodes.containsKey(e.from()) && dot.nodes.containsKey(e.to()), "edge ends are declared nodes: " + e);
            assertTrue(e.from().startsWith("d:") != e.to().startsWith("d:"), "edges alternate data and process: " + e);
        }
        assertEquals("a\nidentity", dot.nodes.get("p:a").get("label"));
        assertEquals("raw\nin/${day}/raw.csv", dot.nodes.get("d:raw").get("label"), "a data node shows its source");
        assertEquals(NodeStyle.PROCESS.fill(), dot.nodes.get("p:a").get("fillcolor"));
        assertEquals(NodeStyle.DATA.fill(), dot.nodes.get("d:raw").get("fillcolor"));
    }

    @Test
    void taskStatesColourProcessNodes() {
        Map<String, TaskState> states = Map.of("a", TaskState.SUCCESS, "b", TaskState.FAILED, "c", TaskState.SKIPPED,
                "side", TaskState.RUNNING);
        DotParser dot = new DotParser(DotRenderer.render(GraphView.of("job", graph, null, states)));

        states.forEach((node, state) -> {
            Map<String, String> attrs = dot.nodes.get("p:" + node);
            assertEquals(NodeStyle.forState(state).fill(), attrs.get("fillcolor"), node);
            assertEquals(NodeStyle.forState(state).stroke(), attrs.get("color"), node);
            assertTrue(attrs.get("label").endsWith("\n" + state.name()), "the state is written too: " + attrs.get("label"));
        });
        assertTrue(dot.nodes.get("p:c").get("style").contains("dashed"), "skipped is dashed");
        Set<String> fills = new HashSet<>();
        for (TaskState s : TaskState.values()) {
            assertTrue(fills.add(NodeStyle.forState(s).fill()), "each state has its own fill: " + s);
        }
    }

    @Test
    void aPlanGreysPrunedNodesAndFlagsMissingInputs() {
        PlanView plan = PlanView.of(graph, List.of("z"), List.of());
        assertEquals(List.of("a", "c"), plan.run());
        GraphView view = GraphView.of("plan", graph, new dev.pipewright.protocol.graph.ExecutionPlan(plan.run(), plan.pruned(),
                plan.jobInputs(), plan.missing()), Map.of());
        DotParser dot = new DotParser(DotRenderer.render(view));

        for (String pruned : List.of("p:b", "p:side", "d:y", "d:raw2", "d:report")) {
            assertEquals(NodeStyle.PRUNED.fill(), dot.nodes.get(pruned).get("fillcolor"), pruned);
            assertTrue(dot.nodes.get(pruned).get("style").contains("dashed"), pruned);
        }
        assertEquals(NodeStyle.MISSING.stroke(), dot.nodes.get("d:extra").get("color"), "extra has no value and no source");
        assertEquals("extra\nmissing", dot.nodes.get("d:extra").get("label"));
        assertEquals(NodeStyle.DATA.fill(), dot.nodes.get("d:raw").get("fillcolor"), "raw is read from its source");
        assertEquals(NodeStyle.PROCESS.fill(), dot.nodes.get("p:a").get("fillcolor"));
        for (DotParser.Edge e : dot.edges) {
            boolean pruned = e.from().equals("p:b") || e.to().equals("p:b") || e.from().equals("p:side") || e.to().equals("p:side");
            assertEquals(pruned ? "dashed" : null, e.attrs().get("style"), e.toString());
        }
    }

    @Test
    void quotesBackslashesAndLineBreaksSurviveTheRoundTrip() {
        String nasty = "say \"hi\" \\n not a break\\\nnext; } -> \"x\" [label=evil]";
        GraphView view = new GraphView(nasty, List.of(
                new GraphView.Node("d:a", GraphView.Kind.DATA, "a", nasty, null, null),
                new GraphView.Node("p:\"q\"", GraphView.Kind.PROCESS, "q", "proc\\", TaskState.FAILED, null)),
                List.of(new GraphView.Edge("d:a", "p:\"q\"", false)));
        String text = DotRenderer.render(view);
        DotParser dot = new DotParser(text);

        assertEquals("a\n" + nasty, dot.nodes.get("d:a").get("label"));
        assertEquals("q\nproc\\\nFAILED", dot.nodes.get("p:\"q\"").get("label"));
        assertEquals(List.of("d:a -> p:\"q\""), dot.edges.stream().map(e -> e.from() + " -> " + e.to()).toList());
        assertFalse(text.contains("\r"));
        assertEquals("\"a\\\\b\\\"c\\nd\"", DotRenderer.quote("a\\b\"c\nd\r\u0001"));
    }
}
