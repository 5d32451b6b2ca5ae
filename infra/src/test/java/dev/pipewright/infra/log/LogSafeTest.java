package dev.pipewright.infra.log;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogSafeTest {
    @Test
    void aForgedLineStaysOnOneLine() {
        String forged = "x\r\n2026-01-01 INFO admin token created\u001b[2J";
        String safe = LogSafe.text(forged);
        assertFalse(safe.contains("\n") || safe.contains("\r") || safe.contains("\u001b"), safe);
        assertEquals("x\\r\\n2026-01-01 INFO admin token created\\u001b[2J", safe);
    }

    @Test
    void backslashesAreEscapedSoAnInputEscapeCannotPassForOurs() {
        assertEquals("a\\\\nb", LogSafe.text("a\\nb"));
    }

    @Test
    void plainTextIsUnchangedAndLongTextIsCut() {
        assertEquals("pipeline-1", LogSafe.text("pipeline-1"));
        assertEquals("null", LogSafe.text(null));
        String cut = LogSafe.text("a".repeat(10_000));
        assertTrue(cut.startsWith("a".repeat(LogSafe.MAX_CHARS)) && cut.endsWith("(10000 chars)"), cut);
    }
}
