package dev.pipewright.protocol.parse;

/**
 * Bounds on a pipeline document, enforced before anything is built from it, so that a YAML bomb
 * or a deeply nested document is refused instead of exhausting the process.
 */
public record DocumentLimits(int maxChars, int maxDepth, int maxEvents) {
    /** A pipeline of 100,000 tasks (6.9 Mi characters as the benchmark writes it) fits; a document over the limit is refused before it is read. */
    public static final int DEFAULT_MAX_CHARS = 8 * 1024 * 1024;
    public static final int DEFAULT_MAX_DEPTH = 32;
    public static final int DEFAULT_MAX_EVENTS = 2_000_000;
    public static final DocumentLimits DEFAULTS = new DocumentLimits(DEFAULT_MAX_CHARS, DEFAULT_MAX_DEPTH, DEFAULT_MAX_EVENTS);

    public DocumentLimits {
        if (maxChars <= 0 || maxDepth <= 0 || maxEvents <= 0) {
            throw new IllegalArgumentException("document limits must be positive");
        }
    }
}
