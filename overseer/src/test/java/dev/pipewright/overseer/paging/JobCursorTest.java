package dev.pipewright.overseer.paging;

import dev.pipewright.protocol.keys.JobId;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JobCursorTest {
    private static final JobId JOB = JobId.random();
    private static final JobId OTHER = JobId.random();

    @Test
    void aCursorGivesBackItsPosition() {
        String c = JobCursor.encode(JobCursor.TASKS, JOB, 1234);
        assertEquals("1234", JobCursor.decode(JobCursor.TASKS, JOB, c));
        assertFalse(c.contains("="), "url-safe, unpadded: " + c);
        // an HSCAN cursor is an unsigned 64-bit number: the largest survives the round trip
        String max = Long.toUnsignedString(-1L);
        assertEquals(max, JobCursor.decode(JobCursor.CONSUMABLES, JOB, JobCursor.encode(JobCursor.CONSUMABLES, JOB, max)));
    }

    @Test
    void aCursorOfAnotherListingOrJobIsNone() {
        String tasks = JobCursor.encode(JobCursor.TASKS, JOB, 5);
        assertNull(JobCursor.decode(JobCursor.CONSUMABLES, JOB, tasks));
        assertNull(JobCursor.decode(JobCursor.TASKS, OTHER, tasks));
    }

    @Test
    void garbageIsNoCursor() {
        assertNull(JobCursor.decode(JobCursor.TASKS, JOB, "12"));
        assertNull(JobCursor.decode(JobCursor.TASKS, JOB, "not base64!"));
        assertNull(JobCursor.decode(JobCursor.TASKS, JOB, ""));
        assertNull(JobCursor.decode(JobCursor.TASKS, JOB, null));
        assertNull(JobCursor.decode(JobCursor.TASKS, JOB, b64("t:" + JOB.value() + ":")));
        assertNull(JobCursor.decode(JobCursor.TASKS, JOB, b64("t:" + JOB.value() + ":-3")));
        assertNull(JobCursor.decode(JobCursor.TASKS, JOB, b64("t:" + JOB.value() + ":12x")));
        assertNull(JobCursor.decode(JobCursor.TASKS, JOB, b64("t:" + JOB.value() + ":" + "9".repeat(21))));
        assertThrows(IllegalArgumentException.class, () -> JobCursor.encode(JobCursor.TASKS, JOB, -1));
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
