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
    /** Arrival order, for the oldest-first rule among deliveries of one priority. */
    long seq;
    /** The parsed message, once the scheduler has read it. */
    TaskMessage message;
    private boolean settled;
    /** Takes back this delivery's redelivery count when the worker hands it back itself. */
    volatile Runnable uncount;

    Delivery(PoolChannel pool, long tag, boolean redelivered, byte[] body) {
        this.pool = pool;
        this.tag = tag;
        this.redelivered = redelivered;
        this.body = body;
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
