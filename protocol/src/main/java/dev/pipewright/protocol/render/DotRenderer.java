package dev.pipewright.protocol.render;

/**
 * Graphviz DOT text of a {@link GraphView}: data nodes as ellipses, process nodes as boxes, left to
 * right. Every id and label is a double-quoted DOT string, so any text is safe in it.
 */
public final class DotRenderer {
    private DotRenderer() {
    }

    public static String render(GraphView view) {
        StringBuilder sb = new StringBuilder();
        String title = view.title() == null ? "pipeline" : view.title();
        sb.append("digraph ").append(quote(title)).append(" {\n");
        sb.append("  graph [rankdir=LR, label=").append(quote(title)).append(", labelloc=t, fontname=\"Helvetica\"];\n");
        sb.append("  node [fontname=\"Helvetica\", fontsize=11];\n");
        sb.append("  edge [color=\"").append(NodeStyle.EDGE).append("\"];\n");
        for (GraphView.Node n : view.nodes()) {
            NodeStyle s = NodeStyle.of(n);
            StringBuilder style = new StringBuilder("filled");
            if (n.kind() == GraphView.Kind.PROCESS) {
                style.append(",rounded");
            }
            if (s.dashed()) {
                style.append(",dashed");
            }
            if (s.heavy()) {
                style.append(",bold");
            }
            sb.append("  ").append(quote(n.id())).append(" [label=").append(quote(String.join("\n", n.lines())))
                    .append(", shape=").append(n.kind() == GraphView.Kind.DATA ? "ellipse" : "box")
                    .append(", style=").append(quote(style.toString()))
                    .append(", fillcolor=").append(quote(s.fill()))
                    .append(", color=").append(quote(s.stroke()))
                    .append(", fontcolor=").append(quote(s.text()))
                    .append(", class=").append(quote(n.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + s.name()))
                    .append("];\n");
        }
        for (GraphView.Edge e : view.edges()) {
            sb.append("  ").append(quote(e.from())).append(" -> ").append(quote(e.to()));
            if (e.ordering()) {
                // order only, no data
                sb.append(" [style=dotted, arrowhead=empty, label=\"after\"")
                        .append(e.faded() ? ", color=" + quote(NodeStyle.FADED_EDGE) : "").append(']');
            } else if (e.faded()) {
                sb.append(" [style=dashed, color=").append(quote(NodeStyle.FADED_EDGE)).append(']');
            }
            sb.append(";\n");
        }
        sb.append("}\n");
        return sb.toString();
    }

    /**
     * A DOT double-quoted string. Backslashes are doubled (DOT reads {@code \n}, {@code \l}, {@code \N}
     * in labels as escapes), quotes escaped, line breaks become {@code \n}, other control characters go.
     */
    public static String quote(String text) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> {
                }
                default -> {
                    if (c >= ' ' || c == '\t') {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
