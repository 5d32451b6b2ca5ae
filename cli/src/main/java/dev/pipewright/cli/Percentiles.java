package dev.pipewright.cli;

import java.util.Arrays;

/** Nearest-rank percentiles and the per-hop latencies of a chain. */
public final class Percentiles {
    private Percentiles() {
    }

    /**
     * The nearest-rank {@code p}-th percentile (0 < p <= 100): the smallest value such that at
     * least p% of the values are less than or equal to it. NaN for no values.
     */
    public static double percentile(double[] values, double p) {
        if (p <= 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
        }
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
    }

    /** {@code (ended[i] - ended[i-1]) / 1000.0} milliseconds for consecutive chain tasks (epoch microseconds). */
    public static double[] hopsMs(long[] endedUs) {
        if (endedUs.length < 2) {
            return new double[0];
        }
        double[] hops = new double[endedUs.length - 1];
        for (int i = 1; i < endedUs.length; i++) {
            hops[i - 1] = (endedUs[i] - endedUs[i - 1]) / 1000.0;
        }
        return hops;
    }
}
