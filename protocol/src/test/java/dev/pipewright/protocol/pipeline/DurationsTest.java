package dev.pipewright.protocol.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class DurationsTest {

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("500ms", Duration.ofMillis(500)),
                Arguments.of("30s", Duration.ofSeconds(30)),
                Arguments.of("5m", Duration.ofMinutes(5)),
                Arguments.of("1h", Duration.ofHours(1)),
                Arguments.of("2d", Duration.ofDays(2)),
                Arguments.of("0s", Duration.ZERO),
                Arguments.of("90s", Duration.ofSeconds(90)),
                Arguments.of(" 15m ", Duration.ofMinutes(15)),
                Arguments.of("007s", Duration.ofSeconds(7)),
                Arguments.of("999999999ms", Duration.ofMillis(999_999_999)),
                Arguments.of("999999999d", Duration.ofDays(999_999_999)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void parsesEveryUnit(String text, Duration expected) {
        assertEquals(expected, Durations.parse(text));
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"", "30", "30x", "s", "ms", "-5s", "+5s", "1.5s", "5 m", "5M", "5S", "1w", "PT5S",
            "1h30m", "1234567890s", "5sec", "5mins", "1e3ms"})
    void rejectsOtherForms(String text) {
        assertNull(Durations.parse(text));
    }

    static Stream<Arguments> formatted() {
        return Stream.of(
                Arguments.of(Duration.ofMillis(500), "500ms"),
                Arguments.of(Duration.ofMillis(1500), "1500ms"),
                Arguments.of(Duration.ofSeconds(30), "30s"),
                Arguments.of(Duration.ofSeconds(90), "90s"),
                Arguments.of(Duration.ofMinutes(5), "5m"),
                Arguments.of(Duration.ofMinutes(90), "90m"),
                Arguments.of(Duration.ofHours(1), "1h"),
                Arguments.of(Duration.ofHours(48), "2d"),
                Arguments.of(Duration.ofDays(2), "2d"),
                Arguments.of(Duration.ZERO, "0ms"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("formatted")
    void formatsWithTheLargestExactUnit(Duration duration, String expected) {
        assertEquals(expected, Durations.format(duration));
    }

    @Test
    void formatAndParseRoundTrip() {
        for (long ms : new long[] {1, 999, 1000, 59_000, 60_000, 3_600_000, 86_400_000, 90_061_001L, 7L * 86_400_000}) {
            Duration d = Duration.ofMillis(ms);
            assertEquals(d, Durations.parse(Durations.format(d)), () -> "round trip of " + ms + "ms");
        }
    }
}
