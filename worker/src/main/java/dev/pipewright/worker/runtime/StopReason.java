package dev.pipewright.worker.runtime;

/** Why a running attempt was interrupted; decides what its commit says. */
enum StopReason {
    /** Its job was cancelled or passed its deadline (a broadcast, or a refused lease renewal). */
    STOPPED,
    /** It ran past its node's {@code timeout}. */
    TIMEOUT,
    /** The worker is shutting down and hands the attempt back. */
    SHUTDOWN
}
