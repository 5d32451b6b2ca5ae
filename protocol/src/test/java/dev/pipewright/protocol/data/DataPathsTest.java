package dev.pipewright.protocol.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataPathsTest {
    @Test
    void aRelativeSourceIsInItsOwnersAreaAndASharedOneInTheSharedArea() {
        assertEquals(new DataPaths.Location("owners/alice/out/a.txt", false), DataPaths.locate("alice", "out/a.txt"));
        assertEquals(new DataPaths.Location("shared/in/a.txt", true), DataPaths.locate("alice", "shared/in/a.txt"));
        assertEquals("owners/anonymous/a.txt", DataPaths.locate(null, "a.txt").path(), "no owner: the default one");
        assertEquals("owners/anonymous/a.txt", DataPaths.locate(DataPaths.DEFAULT_OWNER, "a.txt").path(), "auth off: the same area");
        assertEquals("owners/alice/owners/bob/a.txt", DataPaths.locate("alice", "owners/bob/a.txt").path(),
                "naming another owner's area stays in one's own");
    }

    @Test
    void anOwnersNameIsOneFileNameNoOtherOwnerGets() {
        assertEquals("team.a", DataPaths.fileName("team.a"));
        assertEquals("%2E.", DataPaths.fileName(".."), "never . or ..: a leading dot is escaped");
        assertEquals("%2E", DataPaths.fileName("."));
        assertEquals("a%2Fb", DataPaths.fileName("a/b"));
        assertEquals("a%25b", DataPaths.fileName("a%b"), "a '%' is escaped too, so an escaped name cannot be forged");
        assertEquals("%00", DataPaths.fileName("\0"));
        assertEquals("J%C3%B6rg", DataPaths.fileName("Jörg"));
    }

    @Test
    void sourcesThatCouldLeaveTheirAreaAreRefused() {
        for (String bad : new String[]{"", " ", "/etc/passwd", "\\x", "C:/x", "../x", "a/../../x", "a/./b", "a//b", "a/",
                "a\0b", "a\nb", "shared", "x".repeat(DataPaths.MAX_LENGTH + 1)}) {
            assertNotNull(DataPaths.problem(bad), "'" + bad + "'");
            assertThrows(IllegalArgumentException.class, () -> DataPaths.locate("alice", bad));
        }
        assertTrue(DataPaths.problem("a\0b").contains("NUL"));
        for (String good : new String[]{"a", "a/b.txt", "docs/${id}.txt", "shared/x", "..a/b..", "a b/c"}) {
            assertNull(DataPaths.problem(good), good);
        }
        assertFalse(DataPaths.isShared("sharedx/a"));
    }
}
