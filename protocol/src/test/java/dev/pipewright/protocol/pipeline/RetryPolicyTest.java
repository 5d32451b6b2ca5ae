package dev.pipewright.protocol.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryPolicyTest {
    /** The random value that leaves the base delay unchanged: 2 * 0.5 - 1 = 0. */
    private static final double MIDDLE = 0.5;
    private static final double ALMOST_ONE = Math.nextDown(1.0);

    private static RetryPolicy policy(Backoff backoff, long initialMs, long maxDelayMs, double jitter) {
        return new RetryPolicy(5, backoff, Duration.ofMillis(initialMs), Duration.ofMillis(maxDelayMs), jitter);
    }

    private static List<Long> delays(RetryPolicy p, int retries, double random) {
        return IntStream.rangeClosed(1, retries).mapToObj(n -> p.delayBefore(n, random).toMillis()).toList();
    }

    @Test
    void exponentialDoublesUntilCapped() {
        RetryPolicy p = policy(Backoff.EXPONENTIAL, 1_000, 10_000, 0);
        assertEquals(List.of(1_000L, 2_000L, 4_000L, 8_000L, 10_000L, 10_000L, 10_000L), delays(p, 7, MIDDLE));
    }

    @Test
    void exponentialNeverOverflowsPastTheCap() {
        RetryPolicy p = policy(Backoff.EXPONENTIAL, 1_000, 60_000, 0.2);
        assertEquals(Duration.ofMinutes(1), p.delayBefore(100, MIDDLE));
        assertEquals(Duration.ofMinutes(1), p.delayBefore(10_000, MIDDLE));
        assertEquals(Duration.ofSeconds(48), p.delayBefore(10_000, 0.0));
    }

    @Test
    void retryZeroOrBelowIsTreatedAsTheFirst() {
        RetryPolicy p = policy(Backoff.EXPONENTIAL, 1_000, 10_000, 0);
        assertEquals(Duration.ofSeconds(1), p.delayBefore(0, MIDDLE));
        assertEquals(Duration.ofSeconds(1), p.delayBefore(-3, MIDDLE));
    }

    @Test
    void fixedAlwaysWaitsTheInitialDelay() {
        RetryPolicy p = policy(Backoff.FIXED, 500, 10_000, 0);
        assertEquals(List.of(500L, 500L, 500L, 500L, 500L), delays(p, 5, MIDDLE));
    }

    @Test
    void fixedIsCappedToo() {
        assertEquals(Duration.ofSeconds(2), policy(Backoff.FIXED, 5_000, 2_000, 0).delayBefore(1, MIDDLE));
    }

    @Test
    void linearGrowsByTheInitialDelayUntilCapped() {
        RetryPolicy p = policy(Backoff.LINEAR, 2_000, 7_000, 0);
        assertEquals(List.of(2_000L, 4_000L, 6_000L, 7_000L, 7_000L), delays(p, 5, MIDDLE));
    }

    @Test
    void jitterBoundsWithRandomZeroAndAlmostOne() {
        RetryPolicy p = policy(Backoff.FIXED, 1_000, 60_000, 0.2);
        assertEquals(Duration.ofMillis(800), p.delayBefore(1, 0.0));
        assertEquals(Duration.ofMillis(1_000), p.delayBefore(1, MIDDLE));
        long high = p.delayBefore(1, ALMOST_ONE).toMillis();
        assertTrue(high > 1_190 && high <= 1_200, "almost +20%: " + high);
    }

    @Test
    void jitterAppliesAfterTheCap() {
        RetryPolicy p = policy(Backoff.EXPONENTIAL, 1_000, 4_000, 0.5);
        assertEquals(Duration.ofMillis(2_000), p.delayBefore(10, 0.0));
        long high = p.delayBefore(10, ALMOST_ONE).toMillis();
        assertTrue(high > 5_990 && high <= 6_000, "up to 50% above the cap: " + high);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1, 0.2, 0.5, 1.0})
    void everyDelayStaysWithinTheJitterBand(double jitter) {
        Random random = new Random(42);
        RetryPolicy p = policy(Backoff.EXPONENTIAL, 1_000, 30_000, jitter);
        for (int retry = 1; retry <= 10; retry++) {
            double base = Math.min(1_000 * Math.pow(2, retry - 1), 30_000);
            for (int i = 0; i < 200; i++) {
                long ms = p.delayBefore(retry, random.nextDouble()).toMillis();
                assertTrue(ms >= Math.floor(base * (1 - jitter)) && ms <= Math.ceil(base * (1 + jitter)),
                        "retry " + retry + " jitter " + jitter + ": " + ms);
                assertTrue(ms >= 0);
            }
        }
    }

    @Test
    void zeroMaxDelayMeansNoCap() {
        RetryPolicy p = policy(Backoff.EXPONENTIAL, 1_000, 0, 0);
        assertEquals(Duration.ofMillis(1_024_000), p.delayBefore(11, MIDDLE));
    }

    @Test
    void ofMaxUsesTheDefaults() {
        RetryPolicy p = RetryPolicy.ofMax(3);
        assertEquals(3, p.max());
        assertEquals(Backoff.EXPONENTIAL, p.backoff());
        assertEquals(RetryPolicy.DEFAULT_INITIAL, p.initial());
        assertEquals(RetryPolicy.DEFAULT_MAX_DELAY, p.maxDelay());
        assertEquals(Duration.ofSeconds(1), RetryPolicy.DEFAULT_INITIAL);
        assertEquals(Duration.ofMinutes(5), RetryPolicy.DEFAULT_MAX_DELAY);
        assertEquals(0.2, p.jitter());
        assertEquals(Duration.ofMillis(800), p.delayBefore(1, 0.0));
        assertEquals(Duration.ofMinutes(5), p.delayBefore(20, MIDDLE));
    }

    @Test
    void noneNeverRetriesNorWaits() {
        assertEquals(0, RetryPolicy.NONE.max());
        assertEquals(Duration.ZERO, RetryPolicy.NONE.delayBefore(1, ALMOST_ONE));
    }

    @Test
    void backoffFromWireIgnoresCase() {
        assertEquals(Backoff.FIXED, Backoff.fromWire("fixed"));
        assertEquals(Backoff.LINEAR, Backoff.fromWire("Linear"));
        assertEquals(Backoff.EXPONENTIAL, Backoff.fromWire("EXPONENTIAL"));
        assertEquals(null, Backoff.fromWire("random"));
    }
}
