package dev.pipewright.protocol.parse;

import dev.pipewright.protocol.pipeline.Problem;

/** A document that could not be read at all (syntax, limits, forbidden YAML features). */
public final class DocumentException extends Exception {
    private final transient Problem problem;

    public DocumentException(String message) {
        super(message);
        this.problem = new Problem("$", message);
    }

    public Problem problem() {
        return problem;
    }
}
