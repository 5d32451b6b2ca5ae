package dev.pipewright.protocol.pipeline;

/**
 * One thing wrong with a request or a pipeline, at a location such as
 * {@code processNodes.task1.input[2]}; {@code $} is the document itself.
 */
public record Problem(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
