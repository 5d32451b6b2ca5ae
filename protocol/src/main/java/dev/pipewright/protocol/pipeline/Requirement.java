package dev.pipewright.protocol.pipeline;

import dev.pipewright.protocol.module.Requirements;

/**
 * A Python package a module needs (a {@code requirement:} entry of a process node or the pipeline);
 * {@code version} is null (any), an exact version or a specifier list (see
 * {@link Requirements}).
 */
public record Requirement(String name, String version) {
}
