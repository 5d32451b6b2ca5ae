package dev.pipewright.infra.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {
    private static final Duration FALLBACK = Duration.ofMinutes(2);

    @Test
    void aDurationMustBePositive() {
        assertEquals(Duration.ofMillis(500), new Settings(Map.of("X", "500ms")).duration("X", FALLBACK));
        assertEquals(FALLBACK, new Settings(Map.of()).duration("X", FALLBACK));
        ConfigException e = assertThrows(ConfigException.class, () -> new Settings(Map.of("X", "0s")).duration("X", FALLBACK));
        assertTrue(e.getMessage().contains("X='0s'"), e.getMessage());
    }

    @Test
    void aDurationThatMayBeOffAcceptsZero() {
        assertEquals(Duration.ZERO, new Settings(Map.of("X", "0")).durationOrOff("X", FALLBACK));
        assertEquals(Duration.ZERO, new Settings(Map.of("X", "0s")).durationOrOff("X", FALLBACK));
        assertEquals(Duration.ofSeconds(3), new Settings(Map.of("X", "3s")).durationOrOff("X", FALLBACK));
        assertEquals(FALLBACK, new Settings(Map.of()).durationOrOff("X", FALLBACK));
        ConfigException e = assertThrows(ConfigException.class, () -> new Settings(Map.of("X", "soon")).durationOrOff("X", FALLBACK));
        assertTrue(e.getMessage().contains("0 for off"), e.getMessage());
    }
}
