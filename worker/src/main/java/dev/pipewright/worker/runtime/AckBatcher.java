package dev.pipewright.worker.runtime;

import java.util.TreeSet;

/**
 * The deliveries of one channel until they are settled, so that acks go out with {@code multiple}:
 * an ack waits until {@link #flush()}, which acknowledges with one {@code multiple} ack every acked
 * delivery below the oldest one still unsettled, and the acked ones above it one by one (so no ack
 * is held back behind a delivery that waits for a slot). Hand-backs and rejections go out at once.
 */
final class AckBatcher {
    /** What goes on the wire; called under this batcher's lock. */
    interface Wire {
        void ack(long tag, boolean multiple);

        void nack(long tag);

        void reject(long tag);
    }

    private final Wire wire;
    private final TreeSet<Long> outstanding = new TreeSet<>();
    private final TreeSet<Long> acked = new TreeSet<>();

    AckBatcher(Wire wire) {
        this.wire = wire;
    }

    synchronized void delivered(long tag) {
        outstanding.add(tag);
    }

    /** Acknowledged at the next {@link #flush()}. */
    synchronized void ack(long tag) {
        if (outstanding.remove(tag)) {
            acked.add(tag);
        }
    }

    /** Back to the queue, now. */
    synchronized void nack(long tag) {
        if (outstanding.remove(tag)) {
            wire.nack(tag);
        }
    }

    /** To the dead-letter queue, now. */
    synchronized void reject(long tag) {
        if (outstanding.remove(tag)) {
            wire.reject(tag);
        }
    }

    /** Sends the acks collected since the last flush. */
    synchronized void flush() {
        if (acked.isEmpty()) {
            return;
        }
        long below = outstanding.isEmpty() ? Long.MAX_VALUE : outstanding.first();
        Long top = acked.lower(below);
        if (top != null) {
            wire.ack(top, true);
            acked.headSet(top, true).clear();
        }
        for (long tag : acked) {
            wire.ack(tag, false);
        }
        acked.clear();
    }

    /** Deliveries received and not yet settled (acks not yet flushed count as settled). */
    synchronized int outstanding() {
        return outstanding.size();
    }

    /** Forgets every delivery: the channel closed, and its deliveries go back to the queue with it. */
    synchronized void reset() {
        outstanding.clear();
        acked.clear();
    }
}
