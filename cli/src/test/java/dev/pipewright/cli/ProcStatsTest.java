package dev.pipewright.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcStatsTest {
    @Test
    void cpuTicksAreUtimePlusStime() {
        String stat = "4242 (java) S 1 4242 4242 0 -1 4194560 51234 0 12 0 1500 250 0 0 20 0 42 0 123456 "
                + "4000000000 60000 18446744073709551615 1 1 0 0 0 0 0 2 16800972 0 0 0 17 1 0 0 0 0 0";
        assertEquals(1750L, ProcStats.cpuTicks(stat));
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
        String stat = "77 (my (odd) cmd) R 1 77 77 0 -1 0 0 0 0 0 9 1 0 0 20 0 1 0 5 0 0";
        assertEquals(10L, ProcStats.cpuTicks(stat));
    }

    @Test
    void somethingElseIsNull() {
        assertNull(ProcStats.cpuTicks((String) null));
        assertNull(ProcStats.cpuTicks("no parentheses here"));
        assertNull(ProcStats.cpuTicks("1 (short) S 1 2"));
        assertNull(ProcStats.cpuTicks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 1 0"));
    }

    @Test
    void thisProcessCanBeMeasuredOnLinux() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return;
        }
        long pid = ProcessHandle.current().pid();
        Long ticks = ProcStats.cpuTicks(pid);
        assertNotNull(ticks);
        assertTrue(ticks >= 0);
        assertTrue(ProcStats.ticksPerSecond() > 0);
        ProcStats.Memory m = ProcStats.memory(pid);
        assertNotNull(m, "this JVM is a local Java process");
        assertTrue(m.rssMib() > 1);
        assertNull(ProcStats.cpuTicks(Long.MAX_VALUE), "no such process");
    }
}
