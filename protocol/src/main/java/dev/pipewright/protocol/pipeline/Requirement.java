package dev.pipewright.protocol.pipeline;

/** A library a process node needs (its {@code requirement}); kept for the worker image builder. */
public record Requirement(String name, String version) {
}
