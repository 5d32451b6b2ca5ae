package dev.pipewright.protocol.pipeline;

/**
 * A data set of a pipeline. {@code source}, when present, is a path in the data store, with
 * {@code ${parameter}} placeholders: read from there when no process node produces the node,
 * written there when one does.
 */
public record DataNode(String name, String source) {
}
