package dev.pipewright.protocol.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobIdTest {

    @ParameterizedTest
    @ValueSource(strings = {"abcdefgh", "12345678", "lz9k3m2xq8w7e6r5t4y3", "0123456789012345678901234567890123456789"})
    void acceptsLowercaseBase36(String value) {
        assertTrue(JobId.isValid(value));
        assertEquals(value, new JobId(value).value());
        assertEquals(value, new JobId(value).toString());
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "abc", "abcdefg", "ABCDEFGH", "abcd-efgh", "abcd efgh", "abcd:efgh", "abcd{s1}efgh",
            "../../etc/passwd", "01234567890123456789012345678901234567890"})
    void refusesEverythingElse(String value) {
        assertFalse(JobId.isValid(value));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JobId(value));
        assertTrue(e.getMessage().contains("bad job id"));
    }

    @Test
    void randomIdsAreValidAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            JobId id = JobId.random();
            assertTrue(JobId.isValid(id.value()), id.value());
            assertTrue(seen.add(id.value()), "duplicate " + id);
        }
    }

    @Test
    void randomIdsStartWithTheCreationTimeInBase36() {
        long before = System.currentTimeMillis();
        JobId id = JobId.random();
        long after = System.currentTimeMillis();
        String time = id.value().substring(0, id.value().length() - 12);
        long millis = Long.parseLong(time, 36);
        assertTrue(millis >= before && millis <= after, "time part " + millis + " not in [" + before + ", " + after + "]");
    }

    @Test
    void laterIdsSortAfterEarlierOnes() throws InterruptedException {
        JobId first = JobId.random();
        long start = System.currentTimeMillis();
        while (System.currentTimeMillis() == start) {
            Thread.sleep(1);
        }
        JobId second = JobId.random();
        assertTrue(first.value().compareTo(second.value()) < 0, first + " vs " + second);
    }

    @Test
    void equalityIsByValue() {
        assertEquals(new JobId("abcdefgh"), new JobId("abcdefgh"));
        assertEquals(new JobId("abcdefgh").hashCode(), new JobId("abcdefgh").hashCode());
        assertNotEquals(new JobId("abcdefgh"), new JobId("abcdefgi"));
    }
}
