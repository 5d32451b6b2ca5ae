package dev.pipewright.render;

/** A graph with more nodes than an SVG layout is made for; DOT and Mermaid have no such limit. */
public final class GraphTooLargeException extends RuntimeException {
    public GraphTooLargeException(int nodes, int max) {
        super("the graph has " + nodes + " nodes; SVG is drawn for at most " + max + " (ask for dot or mermaid instead)");
    }
}
