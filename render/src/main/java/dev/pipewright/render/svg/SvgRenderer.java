package dev.pipewright.render.svg;

import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.protocol.render.NodeStyle;
import dev.pipewright.render.GraphTooLargeException;
import org.eclipse.elk.alg.layered.options.LayeredMetaDataProvider;
import org.eclipse.elk.alg.layered.options.LayeredOptions;
import org.eclipse.elk.core.RecursiveGraphLayoutEngine;
import org.eclipse.elk.core.data.LayoutMetaDataService;
import org.eclipse.elk.core.math.ElkPadding;
import org.eclipse.elk.core.options.CoreOptions;
import org.eclipse.elk.core.options.Direction;
import org.eclipse.elk.core.options.EdgeRouting;
import org.eclipse.elk.core.options.PortConstraints;
import org.eclipse.elk.core.options.PortSide;
import org.eclipse.elk.core.util.BasicProgressMonitor;
import org.eclipse.elk.graph.ElkBendPoint;
import org.eclipse.elk.graph.ElkEdge;
import org.eclipse.elk.graph.ElkEdgeSection;
import org.eclipse.elk.graph.ElkNode;
import org.eclipse.elk.graph.ElkPort;
import org.eclipse.elk.graph.util.ElkGraphUtil;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * SVG of a {@link GraphView}, laid out left to right by Eclipse ELK's layered algorithm (pure Java; no
 * Graphviz binary). Data nodes are ellipses, process nodes rectangles; every node has one input port
 * in the middle of its left side and one output port in the middle of its right side, so edges meet
 * an ellipse where it touches its box. Text is sized for a monospace font, whose width is known
 * without measuring. Each node is a {@code <g class="node ..">} with {@code data-id}, {@code data-kind}
 * and {@code data-status}; each edge a {@code <path class="edge">} with {@code data-from}/{@code data-to}.
 */
public final class SvgRenderer {
    /** Layered layout grows faster than linearly; past this a drawing is unreadable anyway. */
    public static final int MAX_NODES = 2000;
    private static final int BIG = 200;

    static final double CHAR_WIDTH = 7.2;
    static final double LINE_HEIGHT = 16;
    static final int MAX_LINE_CHARS = 48;
    private static final double TITLE_HEIGHT = 28;
    private static final String FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace";

    static {
        LayoutMetaDataService.getInstance().registerLayoutMetaDataProviders(new LayeredMetaDataProvider());
    }

    private SvgRenderer() {
    }

    /** Where ELK put one node (absolute, before the title offset). */
    private record Placed(GraphView.Node node, ElkNode elk, ElkPort in, ElkPort out) {
    }

    public static String render(GraphView view) {
        if (view.nodes().size() > MAX_NODES) {
            throw new GraphTooLargeException(view.nodes().size(), MAX_NODES);
        }
        ElkNode root = ElkGraphUtil.createGraph();
        root.setProperty(CoreOptions.ALGORITHM, LayeredOptions.ALGORITHM_ID);
        root.setProperty(CoreOptions.DIRECTION, Direction.RIGHT);
        root.setProperty(CoreOptions.EDGE_ROUTING, EdgeRouting.ORTHOGONAL);
        root.setProperty(CoreOptions.PADDING, new ElkPadding(20));
        root.setProperty(LayeredOptions.SPACING_NODE_NODE, 24.0);
        root.setProperty(LayeredOptions.SPACING_NODE_NODE_BETWEEN_LAYERS, 48.0);
        root.setProperty(LayeredOptions.SPACING_EDGE_NODE_BETWEEN_LAYERS, 16.0);
        if (view.nodes().size() > BIG) {
            // fewer crossing-minimisation rounds: a big drawing a little less tidy beats one that takes many seconds
            root.setProperty(LayeredOptions.THOROUGHNESS, 1);
        }

        Map<String, Placed> placed = new LinkedHashMap<>();
        for (GraphView.Node n : view.nodes()) {
            List<String> lines = lines(n);
            int chars = lines.stream().mapToInt(String::length).max().orElse(1);
            double textW = chars * CHAR_WIDTH;
            double textH = lines.size() * LINE_HEIGHT;
            boolean data = n.kind() == GraphView.Kind.DATA;
            // an ellipse holds a w×h text box when its axes are √2 times larger
            double w = Math.ceil(Math.max(data ? textW * 1.42 + 16 : textW + 24, 48));
            double h = Math.ceil(data ? textH * 1.42 + 8 : textH + 16);
            ElkNode node = ElkGraphUtil.createNode(root);
            node.setIdentifier(n.id());
            node.setDimensions(w, h);
            node.setProperty(CoreOptions.PORT_CONSTRAINTS, PortConstraints.FIXED_POS);
            ElkPort in = port(node, 0, h / 2, PortSide.WEST);
            ElkPort out = port(node, w, h / 2, PortSide.EAST);
            if (placed.put(n.id(), new Placed(n, node, in, out)) != null) {
                throw new IllegalArgumentException("node id '" + n.id() + "' appears twice");
            }
        }
        List<ElkEdge> edges = new ArrayList<>();
        for (GraphView.Edge e : view.edges()) {
            Placed from = placed.get(e.from());
            Placed to = placed.get(e.to());
            if (from == null || to == null) {
                throw new IllegalArgumentException("edge " + e.from() + " -> " + e.to() + " names a node the graph does not have");
            }
            edges.add(ElkGraphUtil.createSimpleEdge(from.out(), to.in()));
        }
        new RecursiveGraphLayoutEngine().layout(root, new BasicProgressMonitor());

        String title = view.title() == null ? "pipeline" : view.title();
        double width = Math.max(root.getWidth(), title.length() * CHAR_WIDTH * 1.2 + 40);
        double height = root.getHeight() + TITLE_HEIGHT;
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(num(width)).append("\" height=\"").append(num(height))
                .append("\" viewBox=\"0 0 ").append(num(width)).append(' ').append(num(height))
                .append("\" font-family=\"").append(FONT).append("\" font-size=\"12\">\n");
        sb.append("<title>").append(xml(title)).append("</title>\n");
        sb.append("<defs>\n");
        marker(sb, "arrow", NodeStyle.EDGE);
        marker(sb, "arrow-faded", NodeStyle.FADED_EDGE);
        sb.append("</defs>\n");
        sb.append("<rect class=\"background\" x=\"0\" y=\"0\" width=\"").append(num(width)).append("\" height=\"").append(num(height))
                .append("\" fill=\"#ffffff\"/>\n");
        sb.append("<text class=\"title\" x=\"20\" y=\"20\" font-size=\"14\" font-weight=\"bold\">").append(xml(title)).append("</text>\n");
        sb.append("<g class=\"edges\" transform=\"translate(0,").append(num(TITLE_HEIGHT)).append(")\">\n");
        for (int i = 0; i < edges.size(); i++) {
            GraphView.Edge e = view.edges().get(i);
            ElkEdgeSection s = edges.get(i).getSections().get(0);
            StringBuilder d = new StringBuilder("M").append(num(s.getStartX())).append(',').append(num(s.getStartY()));
            for (ElkBendPoint b : s.getBendPoints()) {
                d.append(" L").append(num(b.getX())).append(',').append(num(b.getY()));
            }
            d.append(" L").append(num(s.getEndX())).append(',').append(num(s.getEndY()));
            // an ordering ('after') edge is dotted, a pruned one dashed
            String dashes = e.ordering() ? " stroke-dasharray=\"1.5 3\"" : e.faded() ? " stroke-dasharray=\"4 3\"" : "";
            sb.append("<path class=\"edge").append(e.faded() ? " faded" : "").append(e.ordering() ? " ordering" : "")
                    .append("\" data-from=\"").append(xml(e.from()))
                    .append("\" data-to=\"").append(xml(e.to())).append("\" d=\"").append(d)
                    .append("\" fill=\"none\" stroke=\"").append(e.faded() ? NodeStyle.FADED_EDGE : NodeStyle.EDGE)
                    .append("\" stroke-width=\"1.2\"").append(dashes)
                    .append(" marker-end=\"url(#").append(e.faded() ? "arrow-faded" : "arrow").append(")\"/>\n");
        }
        sb.append("</g>\n");
        sb.append("<g class=\"nodes\" transform=\"translate(0,").append(num(TITLE_HEIGHT)).append(")\">\n");
        for (Placed p : placed.values()) {
            node(sb, p);
        }
        sb.append("</g>\n</svg>\n");
        return sb.toString();
    }

    private static ElkPort port(ElkNode node, double x, double y, PortSide side) {
        ElkPort port = ElkGraphUtil.createPort(node);
        port.setDimensions(0, 0);
        port.setLocation(x, y);
        port.setProperty(CoreOptions.PORT_SIDE, side);
        return port;
    }

    private static void marker(StringBuilder sb, String id, String colour) {
        sb.append("<marker id=\"").append(id).append("\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\"")
                .append(" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"").append(colour).append("\"/></marker>\n");
    }

    private static void node(StringBuilder sb, Placed p) {
        GraphView.Node n = p.node();
        NodeStyle s = NodeStyle.of(n);
        ElkNode e = p.elk();
        String kind = n.kind().name().toLowerCase(Locale.ROOT);
        sb.append("<g class=\"node ").append(kind).append(' ').append(s.name()).append("\" data-id=\"").append(xml(n.id()))
                .append("\" data-kind=\"").append(kind).append('"');
        if (n.status() != null) {
            sb.append(" data-status=\"").append(n.status().name()).append('"');
        }
        if (n.mark() != GraphView.Mark.NONE) {
            sb.append(" data-mark=\"").append(n.mark().name().toLowerCase(Locale.ROOT)).append('"');
        }
        sb.append(">\n<title>").append(xml(String.join(" · ", n.lines()))).append("</title>\n");
        String paint = " fill=\"" + s.fill() + "\" stroke=\"" + s.stroke() + "\" stroke-width=\"" + (s.heavy() ? "2.5" : "1.2") + "\""
                + (s.dashed() ? " stroke-dasharray=\"5 3\"" : "");
        if (n.kind() == GraphView.Kind.DATA) {
            sb.append("<ellipse cx=\"").append(num(e.getX() + e.getWidth() / 2)).append("\" cy=\"").append(num(e.getY() + e.getHeight() / 2))
                    .append("\" rx=\"").append(num(e.getWidth() / 2)).append("\" ry=\"").append(num(e.getHeight() / 2)).append('"')
                    .append(paint).append("/>\n");
        } else {
            sb.append("<rect x=\"").append(num(e.getX())).append("\" y=\"").append(num(e.getY())).append("\" width=\"").append(num(e.getWidth()))
                    .append("\" height=\"").append(num(e.getHeight())).append("\" rx=\"3\"").append(paint).append("/>\n");
        }
        List<String> lines = lines(n);
        double cx = e.getX() + e.getWidth() / 2;
        double top = e.getY() + (e.getHeight() - lines.size() * LINE_HEIGHT) / 2;
        sb.append("<text text-anchor=\"middle\" fill=\"").append(s.text()).append("\">");
        for (int i = 0; i < lines.size(); i++) {
            sb.append("<tspan x=\"").append(num(cx)).append("\" y=\"").append(num(top + (i + 0.75) * LINE_HEIGHT)).append('"')
                    .append(i == 0 ? " font-weight=\"bold\"" : "").append('>').append(xml(lines.get(i))).append("</tspan>");
        }
        sb.append("</text>\n</g>\n");
    }

    /** The label lines, each cut to {@link #MAX_LINE_CHARS} (the full text is in the node's tooltip). */
    static List<String> lines(GraphView.Node n) {
        return n.lines().stream()
                .map(l -> l.codePointCount(0, l.length()) > MAX_LINE_CHARS ? l.substring(0, l.offsetByCodePoints(0, MAX_LINE_CHARS - 1)) + "…" : l)
                .toList();
    }

    /** Text for XML content and attribute values; characters XML 1.0 forbids are dropped. */
    static String xml(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> {
                    if (c >= 0x20 && c != 0xFFFE && c != 0xFFFF || c == '\t' || c == '\n' || c == '\r') {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
