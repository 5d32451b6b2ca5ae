package dev.pipewright.infra.state;

/** What the commit script answered for one attempt. */
public sealed interface CommitReply {
    /** The wire word, as the worker's metrics count it ({@code ok}, {@code retry}, {@code ended:<state>}, {@code handback}, {@code fenced}). */
    String wire();

    /** Outputs written, the task SUCCESS, its completion event appended. */
    record Ok() implements CommitReply {
        public String wire() {
            return "ok";
        }
    }

    /** The attempt failed and the task waits for a retry timer. */
    record Retry() implements CommitReply {
        public String wire() {
            return "retry";
        }
    }

    /** The task ended in {@code state} (FAILED, TIMED_OUT or CANCELLED). */
    record Ended(String state) implements CommitReply {
        public String wire() {
            return "ended:" + state;
        }
    }

    /** Handed back (shutdown or refused): the overseer dispatches it again. */
    record HandBack() implements CommitReply {
        public String wire() {
            return "handback";
        }
    }

    /** The attempt no longer held the task: nothing was written. */
    record Fenced() implements CommitReply {
        public String wire() {
            return "fenced";
        }
    }

    static CommitReply parse(String wire) {
        return switch (wire) {
            case "ok" -> new Ok();
            case "retry" -> new Retry();
            case "handback" -> new HandBack();
            case "fenced" -> new Fenced();
            default -> {
                if (wire.startsWith("ended:")) {
                    yield new Ended(wire.substring("ended:".length()));
                }
                throw new IllegalStateException("unexpected commit reply '" + wire + "'");
            }
        };
    }
}
