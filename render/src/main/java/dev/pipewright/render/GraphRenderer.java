package dev.pipewright.render;

import dev.pipewright.protocol.render.DotRenderer;
import dev.pipewright.protocol.render.GraphFormat;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.protocol.render.MermaidRenderer;
import dev.pipewright.render.svg.SvgRenderer;

/** Draws a {@link GraphView} in any {@link GraphFormat}; the one entry point for the CLI and the API. */
public final class GraphRenderer {
    private GraphRenderer() {
    }

    /**
     * The drawing as text.
     *
     * @throws GraphTooLargeException when an SVG is asked for a graph too big to lay out in reasonable time
     */
    public static String render(GraphView view, GraphFormat format) {
        return switch (format) {
            case DOT -> DotRenderer.render(view);
            case MERMAID -> MermaidRenderer.render(view);
            case SVG -> SvgRenderer.render(view);
        };
    }
}
