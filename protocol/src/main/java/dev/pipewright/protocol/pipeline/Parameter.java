package dev.pipewright.protocol.pipeline;

/**
 * A pipeline parameter. A parameter with a default is never missing; one without a default is
 * required unless declared {@code required: false}.
 */
public record Parameter(String name, ParamType type, Object defaultValue, boolean required, String description) {
}
