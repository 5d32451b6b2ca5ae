package dev.pipewright.infra.metrics;

import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The histogram buckets of Pipewright's timers, explicit rather than Micrometer's percentile
 * histogram: that one stops at the timer's maximum expected value (30 s by default), so
 * {@code histogram_quantile} could never say more than 30 s and an alert on a longer wait could
 * never fire. Explicit boundaries also keep the series count down: about 20 buckets per timer and
 * tag set instead of about 70.
 *
 * <p>The alert rules and their promtool tests (deploy/prometheus) may only use these boundaries;
 * a test in the deploy module checks them against a live scrape.
 */
public enum Buckets {
    /** Queue wait and run time of a task attempt: 5 ms up to a day (tasks may run for hours). */
    TASK(ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), s(1), s(2.5), s(5), s(10), s(30), s(60), s(120), s(300),
            s(600), s(1800), s(3600), s(7200), s(21600), s(43200), s(86400)),
    /** Overseer hand-overs (release latency, outbox and event delays): 1 ms up to 10 minutes. */
    HANDOVER(ms(1), ms(2.5), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), s(1), s(2.5), s(5), s(10), s(30), s(60),
            s(300), s(600)),
    /** A job from submission to its end: 1 s up to a week. */
    JOB(s(1), s(5), s(15), s(30), s(60), s(120), s(300), s(600), s(1800), s(3600), s(7200), s(21600), s(43200), s(86400),
            s(172800), s(604800));

    private final Duration[] boundaries;

    Buckets(Duration... boundaries) {
        this.boundaries = boundaries;
    }

    /** A timer builder with these buckets (and no percentile histogram besides). */
    public Timer.Builder on(Timer.Builder timer) {
        return timer.serviceLevelObjectives(boundaries);
    }

    /** The upper bounds in nanoseconds, as a meter filter's distribution config takes them for a timer. */
    public double[] nanos() {
        return Arrays.stream(boundaries).mapToDouble(Duration::toNanos).toArray();
    }

    /** The upper bounds in seconds, as Prometheus shows them in {@code le} (without {@code +Inf}). */
    public List<Double> seconds() {
        return Arrays.stream(boundaries).map(d -> d.toNanos() / 1e9).toList();
    }

    private static Duration ms(double ms) {
        return Duration.ofNanos(Math.round(ms * 1_000_000));
    }

    private static Duration s(double s) {
        return Duration.ofNanos(Math.round(s * 1_000_000_000));
    }
}
