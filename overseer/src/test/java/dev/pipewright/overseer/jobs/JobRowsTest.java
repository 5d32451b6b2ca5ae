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
        Map<String, Object> row = JobRows.task("t1", Map.of("processor", "noop", "pool", "default", "state", "SUCCESS",
                "attempts", "1", "worker", "w1", "started", "1700000000000001", "ended", "1700000000500000"));
        assertEquals("t1", row.get("node"));
        assertEquals("SUCCESS", row.get("status"));
        assertEquals(1, row.get("attempts"));
        assertEquals(1700000000000001L, row.get("started_us"));
        assertEquals("2023-11-14T22:13:20.000001Z", row.get("started_at"));
        assertEquals(1700000000500000L, row.get("ended_us"));
        assertNull(row.get("error"));
        assertFalse(row.containsKey("waiting_for"));
        assertFalse(row.containsKey("reused_from"));
    }

    @Test
    void aPendingTaskHasNoTimesAndAHeldOneSaysWhatItWaitsFor() {
        Map<String, Object> pending = JobRows.task("t2", Map.of("state", "PENDING"));
        assertEquals(0, pending.get("attempts"));
        assertNull(pending.get("started_us"));
        assertNull(pending.get("started_at"));
        Map<String, Object> held = JobRows.task("t3", Map.of("state", "READY", "held", "1", "processor", "slow", "reused", "job0"));
        assertEquals("a slot of processor 'slow' (concurrency limit)", held.get("waiting_for"));
        assertEquals("job0", held.get("reused_from"));
    }

    @Test
    void smallTextAndJsonAreInlineAsText() {
        Map<String, Object> text = JobRows.consumable("d", "text/plain; charset=utf-8", 5, "héllo".getBytes(StandardCharsets.UTF_8));
        assertEquals("héllo", text.get("value"));
        assertFalse(text.containsKey("value_base64"));
        Map<String, Object> json = JobRows.consumable("j", "application/json", 7, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"a\":1}", json.get("value"));
        assertEquals("", JobRows.consumable("e", "text/plain; charset=utf-8", 0, new byte[0]).get("value"));
        assertTrue(JobRows.textual("application/vnd.api+json"));
        assertFalse(JobRows.textual("application/octet-stream"));
        assertFalse(JobRows.textual(null));
    }

    @Test
    void binaryOrBadUtf8IsInlineAsBase64() {
        byte[] bytes = {(byte) 0xff, 0, 1, 2};
        Map<String, Object> bin = JobRows.consumable("b", "application/octet-stream", 4, bytes);
        assertEquals(Base64.getEncoder().encodeToString(bytes), bin.get("value_base64"));
        assertFalse(bin.containsKey("value"));
        // says text, is not UTF-8: still base64, never a mangled string
        Map<String, Object> liar = JobRows.consumable("l", "text/plain", 4, bytes);
        assertEquals(Base64.getEncoder().encodeToString(bytes), liar.get("value_base64"));
    }

    @Test
    void aLargeValueIsOnlyNamedAndSized() {
        Map<String, Object> big = JobRows.consumable("big", "text/plain; charset=utf-8", 5000, null);
        assertEquals(5000L, big.get("size"));
        assertFalse(big.containsKey("value"));
        assertFalse(big.containsKey("value_base64"));
        byte[] justOver = new byte[JobRows.INLINE_MAX_BYTES + 1];
        assertFalse(JobRows.consumable("x", "text/plain", justOver.length, justOver).containsKey("value"));
        byte[] atLimit = "a".repeat(JobRows.INLINE_MAX_BYTES).getBytes(StandardCharsets.UTF_8);
        assertEquals(JobRows.INLINE_MAX_BYTES, ((String) JobRows.consumable("y", "text/plain", atLimit.length, atLimit).get("value")).length());
    }
}
