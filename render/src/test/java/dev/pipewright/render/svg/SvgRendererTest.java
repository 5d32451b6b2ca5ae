package dev.pipewright.render.svg;

import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.protocol.render.NodeStyle;
import dev.pipewright.protocol.state.TaskState;
import dev.pipewright.render.GraphTooLargeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SvgRendererTest {
    private static final double TOLERANCE = 1.0;

    static PipelineGraph graph(String yaml) {
        PipelineParser.Result r = new PipelineParser().parse(yaml);
        assertTrue(r.valid(), r.problems()::toString);
        return new PipelineGraph(r.pipeline());
    }

    private static final PipelineGraph DIAMOND = graph("""
            name: diamond
            dataNodes:
              src: {source: "in/src.txt"}
              x:
              y:
              z:
              out:
              other:
              report:
            processNodes:
              a: {input: [src], output: [x], processor: identity}
              b: {input: [x], output: [y], processor: identity}
              c: {input: [x], output: [z], processor: identity}
              d: {input: [y, z], output: [out], processor: concat}
              side: {input: [other], output: [report], processor: noop}
            """);

    /** The checks every drawing must pass: all nodes and edges, no overlap, edges start and end on their nodes. */
    static SvgDocument checkDrawing(GraphView view, String svg) throws Exception {
        SvgDocument doc = new SvgDocument(svg);
        assertEquals(view.nodes().size(), doc.boxes.size(), "one shape per node");
        for (GraphView.Node n : view.nodes()) {
            SvgDocument.Box box = doc.boxes.get(n.id());
            assertNotNull(box, n.id());
            assertEquals(n.kind() == GraphView.Kind.DATA, box.ellipse(), "data nodes are ellipses, process nodes rectangles: " + n.id());
            assertEquals(NodeStyle.of(n).fill(), box.fill(), n.id());
        }
        List<SvgDocument.Box> boxes = new ArrayList<>(doc.boxes.values());
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                assertTrue(!boxes.get(i).overlaps(boxes.get(j)), boxes.get(i) + " overlaps " + boxes.get(j));
            }
        }
        assertEquals(view.edges().size(), doc.edges.size(), "one path per edge");
        for (int i = 0; i < view.edges().size(); i++) {
            GraphView.Edge want = view.edges().get(i);
            SvgDocument.Edge e = doc.edges.get(i);
            assertEquals(want.from(), e.from());
            assertEquals(want.to(), e.to());
            assertEquals(want.faded(), e.faded());
            double[] start = e.points().get(0);
            double[] end = e.points().get(e.points().size() - 1);
            SvgDocument.Box from = doc.boxes.get(e.from());
            SvgDocument.Box to = doc.boxes.get(e.to());
            assertTrue(from.distanceToBorder(start[0], start[1]) <= TOLERANCE, "edge " + e.from() + "->" + e.to() + " starts on its node: "
                    + start[0] + "," + start[1] + " vs " + from);
            assertTrue(to.distanceToBorder(end[0], end[1]) <= TOLERANCE, "edge " + e.from() + "->" + e.to() + " ends on its node: "
                    + end[0] + "," + end[1] + " vs " + to);
            for (var pair : List.of(Map.entry(from, start), Map.entry(to, end))) {
                if (pair.getKey().ellipse()) {
                    assertEquals(1.0, pair.getKey().ellipseValue(pair.getValue()[0], pair.getValue()[1]), 0.05,
                            "edge touches the ellipse itself: " + e.from() + "->" + e.to());
                }
            }
            assertTrue(start[0] < end[0], "left to right: " + e.from() + "->" + e.to());
            for (int k = 1; k < e.points().size(); k++) {
                double[] p = e.points().get(k - 1);
                double[] q = e.points().get(k);
                assertTrue(Math.abs(p[0] - q[0]) < 0.11 || Math.abs(p[1] - q[1]) < 0.11, "orthogonal segments");
            }
        }
        return doc;
    }

    @Test
    void drawsEveryNodeAndEdgeWithoutOverlapAndEdgesTouchTheirNodes() throws Exception {
        GraphView view = GraphView.of("diamond", DIAMOND);
        String svg = SvgRenderer.render(view);
        if (System.getProperty("pw.svgOut") != null) {
            java.nio.file.Files.writeString(java.nio.file.Path.of(System.getProperty("pw.svgOut")), svg);
        }
        SvgDocument doc = checkDrawing(view, svg);
        assertEquals(7, doc.boxes.values().stream().filter(SvgDocument.Box::ellipse).count());
        assertEquals(11, doc.edges.size());
        SvgDocument.Box a = doc.boxes.get("p:a");
        SvgDocument.Box d = doc.boxes.get("p:d");
        assertTrue(a.x() + a.w() < d.x(), "a comes before d in reading order");
        assertEquals("aidentity", a.label());
    }

    @Test
    void statesColourNodesAndAreWrittenOnThem() throws Exception {
        Map<String, TaskState> states = Map.of("a", TaskState.SUCCESS, "b", TaskState.FAILED, "c", TaskState.SUCCESS,
                "d", TaskState.SKIPPED, "side", TaskState.RUNNING);
        GraphView view = GraphView.of("job 123", DIAMOND, null, states);
        SvgDocument doc = checkDrawing(view, SvgRenderer.render(view));
        states.forEach((node, state) -> {
            SvgDocument.Box box = doc.boxes.get("p:" + node);
            assertEquals(state.name(), box.status());
            assertEquals(NodeStyle.forState(state).fill(), box.fill());
            assertTrue(box.label().endsWith(state.name()), box.label());
        });
    }

    @Test
    void planMarksAndFadedEdges() throws Exception {
        GraphView view = GraphView.of("plan", DIAMOND, DIAMOND.plan(java.util.Set.of("y"), java.util.Set.of()), Map.of());
        SvgDocument doc = checkDrawing(view, SvgRenderer.render(view));
        assertEquals(NodeStyle.PRUNED.fill(), doc.boxes.get("p:c").fill());
        assertEquals(NodeStyle.PRUNED.fill(), doc.boxes.get("d:other").fill(), "other feeds only a pruned node: pruned, not missing");
        assertTrue(doc.edges.stream().anyMatch(SvgDocument.Edge::faded));
    }

    @Test
    void escapesMarkupInTitlesAndLabels() throws Exception {
        String nasty = "<script>alert('x')</script> & \"q\" ]]> \u0001 é 🚀";
        GraphView view = new GraphView(nasty, List.of(
                new GraphView.Node("d:<a>", GraphView.Kind.DATA, "a&b", nasty, null, null),
                new GraphView.Node("p:\"q\"", GraphView.Kind.PROCESS, "q", "x".repeat(100), TaskState.FAILED, null)),
                List.of(new GraphView.Edge("d:<a>", "p:\"q\"", false)));
        String svg = SvgRenderer.render(view);
        SvgDocument doc = checkDrawing(view, svg);
        assertTrue(doc.doc.getElementsByTagNameNS("*", "script").getLength() == 0, "no element smuggled in");
        assertEquals(nasty.replace("\u0001", ""), doc.doc.getElementsByTagNameNS("*", "title").item(0).getTextContent());
        assertTrue(doc.boxes.get("d:<a>").label().startsWith("a&b<script>alert('x')"), doc.boxes.get("d:<a>").label());
        assertTrue(doc.boxes.get("p:\"q\"").label().contains("x".repeat(47) + "…"), "long lines are cut");
    }

    @Test
    void aLayeredRandomGraphStillHoldsTogether() throws Exception {
        // 8 layers × 6 nodes, each reading two outputs of the layer before
        Random random = new Random(42);
        StringBuilder data = new StringBuilder("dataNodes:\n  seed:\n");
        StringBuilder procs = new StringBuilder("processNodes:\n");
        for (int layer = 0; layer < 8; layer++) {
            for (int i = 0; i < 6; i++) {
                String name = "l" + layer + "_" + i;
                data.append("  ").append(name).append("_out:\n");
                String in = layer == 0 ? "[seed]" : "[l" + (layer - 1) + "_" + random.nextInt(3) + "_out, l" + (layer - 1) + "_" + (3 + random.nextInt(3)) + "_out]";
                procs.append("  ").append(name).append(": {input: ").append(in).append(", output: [").append(name).append("_out], processor: noop}\n");
            }
        }
        PipelineGraph g = graph("name: layers\n" + data + procs);
        GraphView view = GraphView.of("layers", g);
        checkDrawing(view, SvgRenderer.render(view));
    }

    @Test
    void concurrentRequestsGetTheSameDrawing() throws Exception {
        GraphView view = GraphView.of("diamond", DIAMOND, null, Map.of("a", TaskState.SUCCESS));
        String expected = SvgRenderer.render(view);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<String>> drawings = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                drawings.add(pool.submit(() -> SvgRenderer.render(view)));
            }
            for (var d : drawings) {
                assertEquals(expected, d.get(), "layout is deterministic and shares no state between calls");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesGraphsTooLargeToLayOut() {
        List<GraphView.Node> nodes = new ArrayList<>();
        for (int i = 0; i <= SvgRenderer.MAX_NODES; i++) {
            nodes.add(new GraphView.Node("p:" + i, GraphView.Kind.PROCESS, "n" + i, null, null, null));
        }
        GraphTooLargeException e = assertThrows(GraphTooLargeException.class, () -> SvgRenderer.render(new GraphView("big", nodes, List.of())));
        assertTrue(e.getMessage().contains("dot"), e.getMessage());
    }
}
