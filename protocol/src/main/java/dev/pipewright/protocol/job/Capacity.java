package dev.pipewright.protocol.job;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one task may use on a worker of a pool ({@code PW_RESOURCES}, e.g.
 * {@code cpu=4,memory=16Gi,storage=100Gi}): the counterpart of a job's {@link Infra}. A part not
 * given is not limited: any request for it fits.
 */
public record Capacity(BigDecimal cpu, Long memoryBytes, Long storageBytes) {
    public static final Capacity NONE = new Capacity(null, null, null);

    /** {@code cpu=N,memory=Q,storage=Q} in any order, each optional; throws naming the bad part. */
    public static Capacity parse(String text) {
        BigDecimal cpu = null;
        Long memory = null;
        Long storage = null;
        if (text == null || text.isBlank()) {
            return NONE;
        }
        for (String part : text.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected name=value (cpu, memory, storage), got '" + p + "'");
            }
            String name = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = p.substring(eq + 1).trim();
            switch (name) {
                case "cpu" -> {
                    try {
                        cpu = new BigDecimal(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("cpu must be a number, got '" + value + "'");
                    }
                    if (cpu.signum() <= 0) {
                        throw new IllegalArgumentException("cpu must be above 0, got '" + value + "'");
                    }
                }
                case "memory" -> memory = Infra.bytes(value);
                case "storage" -> storage = Infra.bytes(value);
                default -> throw new IllegalArgumentException("unknown resource '" + name + "' (cpu, memory, storage)");
            }
        }
        return new Capacity(cpu, memory, storage);
    }

    /** Whether a task asking for {@code infra} fits. */
    public boolean fits(Infra infra) {
        return (infra.cpu() == null || cpu == null || cpu.compareTo(infra.cpu()) >= 0)
                && (infra.memory() == null || memoryBytes == null || memoryBytes >= infra.memoryBytes())
                && (infra.storage() == null || storageBytes == null || storageBytes >= infra.storageBytes());
    }

    /** The larger of each part (a pool offers what its largest worker offers; not limited beats any number). */
    public Capacity max(Capacity o) {
        return new Capacity(cpu == null || o.cpu == null ? null : cpu.max(o.cpu),
                memoryBytes == null || o.memoryBytes == null ? null : Long.valueOf(Math.max(memoryBytes, o.memoryBytes)),
                storageBytes == null || o.storageBytes == null ? null : Long.valueOf(Math.max(storageBytes, o.storageBytes)));
    }

    /** Orders pools smallest first (cpu, then memory, then storage), for best fit. */
    public static int compareSize(Capacity a, Capacity b) {
        int c = compare(a.cpu, b.cpu);
        if (c == 0) {
            c = compare(a.memoryBytes == null ? null : BigDecimal.valueOf(a.memoryBytes), b.memoryBytes == null ? null : BigDecimal.valueOf(b.memoryBytes));
        }
        if (c == 0) {
            c = compare(a.storageBytes == null ? null : BigDecimal.valueOf(a.storageBytes), b.storageBytes == null ? null : BigDecimal.valueOf(b.storageBytes));
        }
        return c;
    }

    /** Not limited (null) counts as the largest. */
    private static int compare(BigDecimal a, BigDecimal b) {
        return a == null ? (b == null ? 0 : 1) : b == null ? -1 : a.compareTo(b);
    }

    /** The settings form, {@code cpu=4,memory=17179869184,storage=...} (bytes), parsed back by {@link #parse}. */
    public String format() {
        List<String> parts = new ArrayList<>();
        if (cpu != null) {
            parts.add("cpu=" + cpu.stripTrailingZeros().toPlainString());
        }
        if (memoryBytes != null) {
            parts.add("memory=" + memoryBytes);
        }
        if (storageBytes != null) {
            parts.add("storage=" + storageBytes);
        }
        return String.join(",", parts);
    }

    /** For messages: {@code cpu 4, memory 16Gi, storage 100Gi}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        parts.add("cpu " + (cpu == null ? "-" : cpu.stripTrailingZeros().toPlainString()));
        parts.add("memory " + human(memoryBytes));
        parts.add("storage " + human(storageBytes));
        return String.join(", ", parts);
    }

    private static String human(Long bytes) {
        if (bytes == null) {
            return "-";
        }
        String[] units = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v)) + units[u];
    }
}
