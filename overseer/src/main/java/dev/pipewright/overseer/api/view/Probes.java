package dev.pipewright.overseer.api.view;

/** The answers of {@code GET /health} and {@code GET /ready}. */
public final class Probes {
    private Probes() {
    }

    /** Up, and the overseer's process id. */
    public record Health(String status, long pid) {
    }

    /** {@code READY} or {@code NOT_READY}. */
    public record Ready(String status) {
    }
}
