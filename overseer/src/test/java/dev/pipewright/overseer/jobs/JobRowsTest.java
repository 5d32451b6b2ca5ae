package dev.pipewright.overseer.jobs;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobRowsTest {
    @Test
    void aTaskRowShowsItsFieldsAndTimes() {
        TaskRow row = JobRows.task("t1", Map.of("processor", "noop", "pool", "default", "state", "SUCCESS",
                "attempts", "1", "worker", "w1", "started", "1700000000000001", "ended", "1700000000500000"));
        assertEquals("t1", row.node());
        assertEquals("SUCCESS", row.status());
        assertEquals(1, row.attempts());
        assertEquals(1700000000000001L, row.startedUs());
        assertEquals("2023-11-14T22:13:20.000001Z", row.startedAt());
        assertEquals(1700000000500000L, row.endedUs());
        assertNull(row.error());
        assertNull(row.waitingFor());
        assertNull(row.reusedFrom());
    }

    @Test
    void aPendingTaskHasNoTimesAndAHeldOneSaysWhatItWaitsFor() {
        TaskRow pending = JobRows.task("t2", Map.of("state", "PENDING"));
        assertEquals(0, pending.attempts());
        assertNull(pending.startedUs());
        assertNull(pending.startedAt());
        TaskRow held = JobRows.task("t3", Map.of("state", "READY", "held", "1", "processor", "slow", "reused", "job0"));
        assertEquals("a slot of processor 'slow' (concurrency limit)", held.waitingFor());
        assertEquals("job0", held.reusedFrom());
    }

    @Test
    void smallTextAndJsonAreInlineAsText() {
        ConsumableRow text = JobRows.consumable("d", "text/plain; charset=utf-8", 5, "héllo".getBytes(StandardCharsets.UTF_8));
        assertEquals("héllo", text.value());
        assertNull(text.valueBase64());
        ConsumableRow json = JobRows.consumable("j", "application/json", 7, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"a\":1}", json.value());
        assertEquals("", JobRows.consumable("e", "text/plain; charset=utf-8", 0, new byte[0]).value());
        assertTrue(JobRows.textual("application/vnd.api+json"));
        assertFalse(JobRows.textual("application/octet-stream"));
        assertFalse(JobRows.textual(null));
    }

    @Test
    void binaryOrBadUtf8IsInlineAsBase64() {
        byte[] bytes = {(byte) 0xff, 0, 1, 2};
        ConsumableRow bin = JobRows.consumable("b", "application/octet-stream", 4, bytes);
        assertEquals(Base64.getEncoder().encodeToString(bytes), bin.valueBase64());
        assertNull(bin.value());
        // says text, is not UTF-8: still base64, never a mangled string
        ConsumableRow liar = JobRows.consumable("l", "text/plain", 4, bytes);
        assertEquals(Base64.getEncoder().encodeToString(bytes), liar.valueBase64());
    }

    @Test
    void aLargeValueIsOnlyNamedAndSized() {
        ConsumableRow big = JobRows.consumable("big", "text/plain; charset=utf-8", 5000, null);
        assertEquals(5000L, big.size());
        assertNull(big.value());
        assertNull(big.valueBase64());
        byte[] justOver = new byte[JobRows.INLINE_MAX_BYTES + 1];
        assertNull(JobRows.consumable("x", "text/plain", justOver.length, justOver).value());
        byte[] atLimit = "a".repeat(JobRows.INLINE_MAX_BYTES).getBytes(StandardCharsets.UTF_8);
        assertEquals(JobRows.INLINE_MAX_BYTES, JobRows.consumable("y", "text/plain", atLimit.length, atLimit).value().length());
    }
}
