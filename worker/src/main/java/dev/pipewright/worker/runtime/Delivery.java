package dev.pipewright.worker.runtime;

import dev.pipewright.protocol.message.TaskMessage;

/**
 * One message received from a pool queue, until it is acked, handed back or rejected. Settling
 * twice does nothing, so every path may settle a delivery without knowing whether another did.
 */
final class Delivery {
    final PoolChannel pool;
    final long tag;
    final boolean redelivered;
    final byte[] body;
    /** The processor its task runs, from the message's header (null when the publisher did not say). */
    final String processor;
    /** Whether its processor runs quickly, on the scheduler's thread (it then takes no slot). */
    boolean quick;
    /** Taken by the scheduler holding a slot, or (quick) holding none; guarded by the scheduler's lock. */
    boolean slotted;
    boolean held;
    /** Arrival order, for the oldest-first rule among deliveries of one priority. */
    long seq;
    /** The parsed message, once the scheduler has read it. */
    TaskMessage message;
    private boolean settled;
    /** Takes back this delivery's redelivery count when the worker hands it back itself. */
    volatile Runnable uncount;

    Delivery(PoolChannel pool, long tag, boolean redelivered, byte[] body) {
        this(pool, tag, redelivered, body, null);
    }

    Delivery(PoolChannel pool, long tag, boolean redelivered, byte[] body, String processor) {
        this.pool = pool;
        this.tag = tag;
        this.redelivered = redelivered;
        this.body = body;
        this.processor = processor;
    }

    private synchronized boolean settle() {
        if (settled) {
            return false;
        }
        settled = true;
        return true;
    }

    /** Acknowledged with the channel's next flush. */
    void ack() {
        if (settle()) {
            pool.acks.ack(tag);
        }
    }

    void handBack() {
        if (settle()) {
            pool.acks.nack(tag);
            Runnable u = uncount;
            if (u != null) {
                u.run();
            }
        }
    }

    void reject() {
        if (settle()) {
            pool.acks.reject(tag);
        }
    }
}
