package dev.pipewright.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** CPU time and memory of processes on this host, from Linux's {@code /proc}; nothing elsewhere. */
final class ProcStats {
    /** Resident and peak resident memory of a process, in KiB (peak null when not reported). */
    record Memory(long rssKib, Long peakKib) {
        double rssMib() {
            return rssKib / 1024.0;
        }
    }

    private static volatile Long ticksPerSecond;

    private ProcStats() {
    }

    /**
     * User plus system CPU time in clock ticks from the text of {@code /proc/PID/stat} (fields 14
     * and 15), or null when it is not such a line. The command name (field 2) is in parentheses and
     * may hold spaces and parentheses itself, so the fields are counted after its last ')'.
     */
    static Long cpuTicks(String stat) {
        if (stat == null) {
            return null;
        }
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 > stat.length()) {
            return null;
        }
        String[] fields = stat.substring(close + 2).trim().split("\\s+");
        // fields[0] is field 3 (state): utime is field 14, stime field 15
        if (fields.length < 13) {
            return null;
        }
        try {
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The process's CPU time so far in clock ticks, or null when it cannot be read (gone, not Linux). */
    static Long cpuTicks(long pid) {
        try {
            return cpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Clock ticks per second of {@code /proc}'s CPU times ({@code getconf CLK_TCK}; 100 when it cannot be asked). */
    static long ticksPerSecond() {
        Long known = ticksPerSecond;
        if (known != null) {
            return known;
        }
        long tck = 100;
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                tck = Long.parseLong(out);
            }
        } catch (IOException | NumberFormatException e) {
            // the Linux default
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ticksPerSecond = tck;
        return tck;
    }

    /** Milliseconds of CPU for a number of clock ticks. */
    static double ticksToMs(long ticks) {
        return ticks * 1000.0 / ticksPerSecond();
    }

    /** VmRSS and VmHWM from {@code /proc/PID/status}, or null when the process is not a local Java process. */
    static Memory memory(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
            if (!cmdline.contains("java")) {
                return null;
            }
            Long rss = null;
            Long hwm = null;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line);
                }
            }
            return rss == null ? null : new Memory(rss, hwm);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether the pid is a Java process of this host (the servers the benchmark measures are). */
    static boolean isLocalJava(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8).contains("java");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long kib(String line) {
        String[] parts = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
        return Long.parseLong(parts[0]);
    }
}
