package dev.pipewright.protocol.render;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mermaid flowchart text of a {@link GraphView}: data nodes as cylinders, process nodes as
 * rectangles, left to right, coloured through one {@code classDef} per style used. Node ids are
 * generated ({@code n0}, {@code n1}, ..) since Mermaid ids cannot hold every name; labels are
 * quoted with Mermaid's entity codes for characters that would end or change them.
 */
public final class MermaidRenderer {
    private MermaidRenderer() {
    }

    public static String render(GraphView view) {
        StringBuilder sb = new StringBuilder();
        if (view.title() != null) {
            sb.append("---\ntitle: ").append(yamlQuote(view.title())).append("\n---\n");
        }
        sb.append("flowchart LR\n");
        Map<String, String> ids = new LinkedHashMap<>();
        Map<String, NodeStyle> styles = new LinkedHashMap<>();
        Map<String, List<String>> members = new LinkedHashMap<>();
        for (GraphView.Node n : view.nodes()) {
            String id = "n" + ids.size();
            ids.put(n.id(), id);
            String label = "\"" + String.join("<br/>", n.lines().stream().map(MermaidRenderer::escape).toList()) + "\"";
            sb.append("  ").append(id).append(n.kind() == GraphView.Kind.DATA ? "[(" + label + ")]" : "[" + label + "]").append('\n');
            NodeStyle s = NodeStyle.of(n);
            styles.putIfAbsent(s.name(), s);
            members.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(id);
        }
        for (GraphView.Edge e : view.edges()) {
            sb.append("  ").append(ids.get(e.from())).append(e.ordering() ? " -. after .-> " : e.faded() ? " -.-> " : " --> ").append(ids.get(e.to())).append('\n');
        }
        for (NodeStyle s : styles.values()) {
            sb.append("  classDef ").append(s.name()).append(" fill:").append(s.fill()).append(",stroke:").append(s.stroke())
                    .append(",color:").append(s.text()).append(",stroke-width:").append(s.heavy() ? "3px" : "1px");
            if (s.dashed()) {
                sb.append(",stroke-dasharray:5 5");
            }
            sb.append('\n');
            sb.append("  class ").append(String.join(",", members.get(s.name()))).append(' ').append(s.name()).append('\n');
        }
        return sb.toString();
    }

    /**
     * Text safe inside a Mermaid {@code "..."} label: {@code #} first (it starts entity codes), then
     * the characters that end the string, open HTML or markdown. Line breaks become spaces.
     */
    public static String escape(String text) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '#' -> sb.append("#35;");
                case '"' -> sb.append("#quot;");
                case '&' -> sb.append("#amp;");
                case '<' -> sb.append("#lt;");
                case '>' -> sb.append("#gt;");
                case '`' -> sb.append("#96;");
                case '\n', '\r', '\t' -> sb.append(' ');
                default -> {
                    if (c >= ' ') {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    /** A YAML double-quoted scalar on one line, for the front matter's title. */
    static String yamlQuote(String text) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n', '\r', '\t' -> sb.append(' ');
                default -> {
                    if (c >= ' ') {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
