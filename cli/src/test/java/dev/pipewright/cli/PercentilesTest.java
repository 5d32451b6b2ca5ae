package dev.pipewright.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PercentilesTest {
    @Test
    void nearestRank() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) {
            v[i] = 100 - i; // 100..1, unsorted
        }
        assertEquals(50.0, Percentiles.percentile(v, 50));
        assertEquals(99.0, Percentiles.percentile(v, 99));
        assertEquals(100.0, Percentiles.percentile(v, 100));
        assertEquals(1.0, Percentiles.percentile(v, 0.5));
    }

    @Test
    void oddCountMedianIsTheMiddle() {
        assertEquals(3.0, Percentiles.percentile(new double[] {5, 1, 3, 2, 4}, 50));
        double[] hops = new double[999];
        for (int i = 0; i < hops.length; i++) {
            hops[i] = i;
        }
        assertEquals(499.0, Percentiles.percentile(hops, 50));
        assertEquals(989.0, Percentiles.percentile(hops, 99));
    }

    @Test
    void smallAndEmpty() {
        assertEquals(7.0, Percentiles.percentile(new double[] {7}, 50));
        assertEquals(7.0, Percentiles.percentile(new double[] {7}, 99));
        assertTrue(Double.isNaN(Percentiles.percentile(new double[0], 50)));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.percentile(new double[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.percentile(new double[] {1}, 101));
    }

    @Test
    void doesNotReorderTheInput() {
        double[] v = {3, 1, 2};
        Percentiles.percentile(v, 50);
        assertArrayEquals(new double[] {3, 1, 2}, v);
    }

    @Test
    void hopsAreDifferencesInMilliseconds() {
        assertArrayEquals(new double[] {1.5, 0.25, 10.0}, Percentiles.hopsMs(new long[] {1_000_000, 1_001_500, 1_001_750, 1_011_750}));
        assertEquals(0, Percentiles.hopsMs(new long[] {5}).length);
    }
}
