package dev.pipewright.protocol.state;

/** A state change that the transition table does not allow. */
public final class IllegalStateTransitionException extends IllegalStateException {
    private final String from;
    private final String to;

    public IllegalStateTransitionException(String from, String to) {
        super("illegal transition " + from + " -> " + to);
        this.from = from;
        this.to = to;
    }

    public String from() {
        return from;
    }

    public String to() {
        return to;
    }
}
