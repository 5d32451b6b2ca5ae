package dev.pipewright.protocol.render;

import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.state.TaskState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MermaidRendererTest {
    private static final Pattern NODE = Pattern.compile("^  (n\\d+)(\\[\\(\"(.*)\"\\)]|\\[\"(.*)\"])$");
    private static final Pattern EDGE = Pattern.compile("^  (n\\d+) (-->|-\\.->) (n\\d+)$");
    private static final Pattern CLASS_DEF = Pattern.compile("^  classDef (\\w+) fill:(#[0-9a-f]{6}),stroke:(#[0-9a-f]{6}),.*$");
    private static final Pattern CLASS = Pattern.compile("^  class ([n0-9,]+) (\\w+)$");

    private final PipelineGraph graph = Pipelines.graph(Pipelines.BRANCHY);

    /** What a Mermaid reader would see: labels by id, data ids, edges, and each node's fill. */
    private record Parsed(Map<String, String> labels, Set<String> data, List<String> edges, Map<String, String> fill) {
        static Parsed of(String text) {
            Map<String, String> labels = new HashMap<>();
            Set<String> data = new java.util.HashSet<>();
            List<String> edges = new ArrayList<>();
            Map<String, String> defs = new HashMap<>();
            Map<String, String> fill = new HashMap<>();
            List<String> lines = text.lines().toList();
            int start = lines.indexOf("flowchart LR");
            assertTrue(start >= 0, text);
            for (String line : lines.subList(start + 1, lines.size())) {
                Matcher m;
                if ((m = NODE.matcher(line)).matches()) {
                    boolean isData = m.group(3) != null;
                    labels.put(m.group(1), isData ? m.group(3) : m.group(4));
                    if (isData) {
                        data.add(m.group(1));
                    }
                } else if ((m = EDGE.matcher(line)).matches()) {
                    edges.add(labels.get(m.group(1)).split("<br/>")[0] + (m.group(2).equals("-->") ? " -> " : " ~> ")
                            + labels.get(m.group(3)).split("<br/>")[0]);
                } else if ((m = CLASS_DEF.matcher(line)).matches()) {
                    defs.put(m.group(1), m.group(2));
                } else if ((m = CLASS.matcher(line)).matches()) {
                    for (String id : m.group(1).split(",")) {
                        fill.put(labels.get(id).split("<br/>")[0], defs.get(m.group(2)));
                    }
                } else {
                    throw new AssertionError("unexpected Mermaid line: " + line);
                }
            }
            return new Parsed(labels, data, edges, fill);
        }
    }

    @Test
    void nodesShapesAndEdges() {
        Parsed p = Parsed.of(MermaidRenderer.render(GraphView.of("branchy", graph)));
        assertEquals(11, p.labels().size());
        assertEquals(7, p.data().size(), "data nodes are cylinders");
        assertEquals(Set.of("raw -> a", "a -> x", "x -> b", "b -> y", "x -> c", "extra -> c", "c -> z", "raw2 -> side",
                "side -> report"), Set.copyOf(p.edges()));
        assertEquals(9, p.edges().size());
        assertEquals(NodeStyle.DATA.fill(), p.fill().get("raw"));
        assertEquals(NodeStyle.PROCESS.fill(), p.fill().get("a"));
    }

    @Test
    void statesAndPlanMarksChooseTheClass() {
        var plan = graph.plan(Set.of("y"), Set.of("raw"));
        Parsed p = Parsed.of(MermaidRenderer.render(GraphView.of("job", graph, plan, Map.of("a", TaskState.SUCCESS,
                "b", TaskState.FAILED))));
        assertEquals(NodeStyle.forState(TaskState.SUCCESS).fill(), p.fill().get("a"));
        assertEquals(NodeStyle.forState(TaskState.FAILED).fill(), p.fill().get("b"));
        assertEquals(NodeStyle.PRUNED.fill(), p.fill().get("c"));
        assertEquals(NodeStyle.PRUNED.fill(), p.fill().get("extra"));
        assertTrue(p.edges().contains("x ~> c"), "edges of pruned nodes are dotted: " + p.edges());
        assertTrue(p.edges().contains("x -> b"));
    }

    @Test
    void labelsEscapeQuotesEntitiesAndHtml() {
        String nasty = "a \"b\" #c &d <e> `f`\nline";
        GraphView view = new GraphView("t\"it\\le\nx", List.of(
                new GraphView.Node("d:a", GraphView.Kind.DATA, "a", nasty, null, null)), List.of());
        String text = MermaidRenderer.render(view);
        assertTrue(text.startsWith("---\ntitle: \"t\\\"it\\\\le x\"\n---\nflowchart LR\n"), text);
        Parsed p = Parsed.of(text);
        String label = p.labels().get("n0");
        assertEquals("a<br/>a #quot;b#quot; #35;c #amp;d #lt;e#gt; #96;f#96; line", label);
        assertFalse(label.substring(0, label.length()).replace("<br/>", "").matches(".*[\"<>`&].*"));
    }
}
