package dev.pipewright.overseer.auth;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bucket runs on a clock the test moves, so nothing here depends on real time. */
class RateLimiterTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final RateLimiter limiter = new RateLimiter(10, 3, now::get);

    @Test
    void burstThenRefusedWithTheWaitUntilTheNextToken() {
        for (int i = 0; i < 3; i++) {
            assertEquals(Duration.ZERO, limiter.acquire("a"), "request " + i + " of the burst");
        }
        Duration wait = limiter.acquire("a");
        assertEquals(Duration.ofMillis(100), wait, "10/s: one token every 100 ms");
        now.addAndGet(Duration.ofMillis(100).toNanos());
        assertEquals(Duration.ZERO, limiter.acquire("a"));
        assertTrue(limiter.acquire("a").compareTo(Duration.ZERO) > 0);
    }

    @Test
    void tokensAreLimitedApart() {
        for (int i = 0; i < 3; i++) {
            limiter.acquire("a");
        }
        assertTrue(limiter.acquire("a").compareTo(Duration.ZERO) > 0);
        assertEquals(Duration.ZERO, limiter.acquire("b"));
    }

    @Test
    void refillStopsAtTheBurst() {
        now.addAndGet(Duration.ofHours(1).toNanos());
        int allowed = 0;
        while (limiter.acquire("a").isZero()) {
            allowed++;
        }
        assertEquals(3, allowed);
    }

    @Test
    void aRefusedRequestTakesNothing() {
        for (int i = 0; i < 3; i++) {
            limiter.acquire("a");
        }
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.acquire("a").compareTo(Duration.ZERO) > 0);
        }
        now.addAndGet(Duration.ofMillis(100).toNanos());
        assertEquals(Duration.ZERO, limiter.acquire("a"), "refusals must not dig the bucket deeper");
    }

    @Test
    void forgettingRestoresTheBurst() {
        for (int i = 0; i < 3; i++) {
            limiter.acquire("a");
        }
        limiter.forget("a");
        assertEquals(Duration.ZERO, limiter.acquire("a"));
    }
}
