package dev.pipewright.infra.state;

/**
 * An overseer's right to serve one shard: its id and the fencing token Redis gave it. Every call
 * that serves the shard carries both, and Redis refuses it ({@link Lost}) once another overseer
 * holds the shard, so a paused or partitioned overseer cannot act on a shard it no longer owns.
 */
public record ShardLease(int shard, String owner, long token) {
    public ShardLease {
        if (owner == null || owner.isEmpty()) {
            throw new IllegalArgumentException("a shard lease needs its owner's id");
        }
        if (token < 1) {
            throw new IllegalArgumentException("a fencing token is at least 1, got " + token);
        }
    }

    /** Redis refused a call: another overseer took the shard over (or this one's lease lapsed and was taken again). */
    public static final class Lost extends Exception {
        public Lost(String message) {
            super(message);
        }
    }
}
