package dev.pipewright.protocol.pipeline;

/** How the delay between two attempts grows. */
public enum Backoff {
    FIXED, LINEAR, EXPONENTIAL;

    public static Backoff fromWire(String name) {
        for (Backoff b : values()) {
            if (b.name().equalsIgnoreCase(name)) {
                return b;
            }
        }
        return null;
    }
}
