package dev.pipewright.protocol.pipeline;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A data set of a pipeline. {@code source}, when present, is a path in the data store, with
 * {@code ${parameter}} placeholders: read from there when no process node produces the node,
 * written there when one does. {@code optional}: its producer may leave it unproduced, and the
 * tasks that need it are then skipped. {@code map}: its value is a list whose items each run the
 * consuming process nodes once. {@code type} (a content type) and {@code schema} (a JSON Schema,
 * draft 2020-12, null when none) are checked on job inputs at submit and on produced outputs.
 */
public record DataNode(String name, String source, boolean optional, boolean map, String type, JsonNode schema) {

    /** A plain data node: required, not mapped, untyped. */
    public DataNode(String name, String source) {
        this(name, source, false, false, null, null);
    }
}
