package dev.pipewright.overseer.api.view;

import dev.pipewright.protocol.pipeline.Problem;

import java.util.List;

/** {@code POST /pipelines/validate}: whether the document is a valid pipeline, and what is wrong with it. */
public record Validation(boolean valid, List<Problem> problems) {
}
