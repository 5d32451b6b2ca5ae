package dev.pipewright.protocol.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InfraTest {
    @ParameterizedTest
    @CsvSource({"512Mi, 536870912", "2Gi, 2147483648", "1Ki, 1024", "1.5Gi, 1610612736", "100M, 100000000", "4096, 4096"})
    void quantitiesBecomeBytes(String quantity, long bytes) {
        assertEquals(bytes, Infra.bytes(quantity));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "2 Gi", "2GB", "-1Gi", "0Mi", "Gi", "1e3", "two"})
    void badQuantitiesAreRefusedWithTheExpectedForm(String quantity) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Infra.bytes(quantity));
        assertTrue(e.getMessage().contains("512Mi") || e.getMessage().contains("above 0"), e.getMessage());
    }

    @Test
    void cpuMustBeAboveZero() {
        assertThrows(IllegalArgumentException.class, () -> new Infra(BigDecimal.ZERO, null, null));
        assertThrows(IllegalArgumentException.class, () -> new Infra(new BigDecimal("-1"), null, null));
        assertEquals(Map.of("cpu", new java.math.BigInteger("2"), "memory", "2Gi"), new Infra(new BigDecimal("2"), "2Gi", null).toMap());
        assertEquals(Map.of("cpu", new BigDecimal("0.5")), new Infra(new BigDecimal("0.5"), null, null).toMap());
    }

    @Test
    void bareGiBBecomeQuantities() {
        assertEquals("2Gi", Infra.gib(new BigDecimal("2")));
        assertEquals("120Gi", Infra.gib(new BigDecimal("120.0")));
        assertEquals("0.5Gi", Infra.gib(new BigDecimal("0.50")));
        assertEquals(1L << 29, Infra.bytes(Infra.gib(new BigDecimal("0.5"))));
    }
}
