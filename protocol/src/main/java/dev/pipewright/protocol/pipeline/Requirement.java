package dev.pipewright.protocol.pipeline;

/** A library a process node needs (seed 000's {@code requirement}); kept for the worker image builder. */
public record Requirement(String name, String version) {
}
