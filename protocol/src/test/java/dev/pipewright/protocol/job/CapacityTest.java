package dev.pipewright.protocol.job;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CapacityTest {
    private static Infra infra(String cpu, String memory, String storage) {
        return new Infra(cpu == null ? null : new BigDecimal(cpu), memory, storage);
    }

    @Test
    void parsesEachPartInAnyOrderAndRoundTrips() {
        Capacity c = Capacity.parse(" storage=100Gi, cpu=4 ,memory=16Gi");
        assertEquals(new BigDecimal("4"), c.cpu());
        assertEquals(16L << 30, c.memoryBytes());
        assertEquals(100L << 30, c.storageBytes());
        assertEquals(c, Capacity.parse(c.format()));
        assertEquals("cpu 4, memory 16Gi, storage 100Gi", c.describe());
        assertEquals(Capacity.NONE, Capacity.parse(""));
    }

    @Test
    void badPartsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Capacity.parse("gpu=1")).getMessage().contains("gpu"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Capacity.parse("cpu=lots")).getMessage().contains("cpu"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Capacity.parse("cpu=0")).getMessage().contains("above 0"));
        assertThrows(IllegalArgumentException.class, () -> Capacity.parse("memory=lots"));
        assertThrows(IllegalArgumentException.class, () -> Capacity.parse("cpu"));
    }

    @Test
    void aRequestFitsWhenEveryPartItAsksForIsOffered() {
        Capacity c = Capacity.parse("cpu=2,memory=4Gi");
        assertTrue(c.fits(infra("2", "4Gi", null)));
        assertTrue(c.fits(infra("0.5", null, null)));
        assertTrue(c.fits(infra(null, null, null)));
        assertFalse(c.fits(infra("3", null, null)));
        assertFalse(c.fits(infra(null, "5Gi", null)));
        assertTrue(c.fits(infra(null, null, "1Ti")), "storage is not limited");
        assertTrue(Capacity.NONE.fits(infra("64", "1Ti", "1Pi")));
    }

    @Test
    void maxAndBestFitOrder() {
        Capacity small = Capacity.parse("cpu=2,memory=4Gi");
        Capacity big = Capacity.parse("cpu=8,memory=2Gi,storage=1Ti");
        assertEquals(Capacity.parse("cpu=8,memory=4Gi"), small.max(big), "no storage limit on one worker: none for the pool");
        assertTrue(Capacity.compareSize(small, big) < 0);
        assertTrue(Capacity.compareSize(big, Capacity.NONE) < 0, "an unlimited pool is the largest");
        assertEquals(0, Capacity.compareSize(small, Capacity.parse("memory=4Gi,cpu=2")));
    }
}
