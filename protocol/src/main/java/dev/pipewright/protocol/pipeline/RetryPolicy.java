package dev.pipewright.protocol.pipeline;

import java.time.Duration;

/**
 * Retries of a process node. {@code max} counts retries after the first attempt; the delay before
 * retry {@code n} (1-based) grows by {@code backoff} from {@code initial}, capped by
 * {@code maxDelay}, and is spread by up to {@code jitter} (a fraction) either way.
 */
public record RetryPolicy(int max, Backoff backoff, Duration initial, Duration maxDelay, double jitter) {
    public static final Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofMinutes(5);
    public static final RetryPolicy NONE = new RetryPolicy(0, Backoff.FIXED, Duration.ZERO, Duration.ZERO, 0);

    public static RetryPolicy ofMax(int max) {
        return new RetryPolicy(max, Backoff.EXPONENTIAL, DEFAULT_INITIAL, DEFAULT_MAX_DELAY, 0.2);
    }

    /** Delay before retry number {@code retry} (1-based), given a random value in [0,1). */
    public Duration delayBefore(int retry, double random) {
        double base = switch (backoff) {
            case FIXED -> initial.toMillis();
            case LINEAR -> (double) initial.toMillis() * retry;
            case EXPONENTIAL -> initial.toMillis() * Math.pow(2, Math.max(0, retry - 1));
        };
        double capped = Math.min(base, maxDelay.isZero() ? base : maxDelay.toMillis());
        double spread = capped * jitter * (2 * random - 1);
        return Duration.ofMillis(Math.max(0, Math.round(capped + spread)));
    }
}
