package dev.pipewright.overseer.auth;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per API token: {@code burst} requests at once, refilled at {@code perSecond}.
 * In-process, which is exact while one overseer serves an installation (the deployment runs one);
 * with several, each would allow the rate on its own.
 */
public final class RateLimiter {
    private final double perSecond;
    private final double burst;
    private final LongSupplier nanoClock;
    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(int perSecond, int burst) {
        this(perSecond, burst, System::nanoTime);
    }

    RateLimiter(int perSecond, int burst, LongSupplier nanoClock) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be at least 1");
        }
        this.perSecond = perSecond;
        this.burst = burst;
        this.nanoClock = nanoClock;
    }

    /** Takes one request from the key's bucket: {@link Duration#ZERO} when allowed, else how long until one would be. */
    public Duration acquire(String key) {
        return buckets.computeIfAbsent(key, k -> new Bucket(burst, nanoClock.getAsLong())).take(nanoClock.getAsLong());
    }

    public void forget(String key) {
        buckets.remove(key);
    }

    private final class Bucket {
        private double tokens;
        private long last;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
        }

        synchronized Duration take(long now) {
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * perSecond);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return Duration.ZERO;
            }
            return Duration.ofNanos((long) Math.ceil((1 - tokens) / perSecond * 1e9));
        }
    }
}
