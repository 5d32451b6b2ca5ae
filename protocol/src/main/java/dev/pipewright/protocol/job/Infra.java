package dev.pipewright.protocol.job;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The resources a job asks for ({@code config.infra} of a job request): {@code cpu} a
 * number above 0 (cores, fractions allowed), {@code memory} and {@code storage} Kubernetes-style
 * quantities such as {@code "512Mi"} or {@code "2Gi"} (a request may give a bare number of GiB, stored as
 * {@link #gib}). Each part is optional (null: not asked).
 */
public record Infra(BigDecimal cpu, String memory, String storage) {
    private static final Pattern QUANTITY = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?");
    private static final Map<String, Long> UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("k", 1000L), Map.entry("M", 1000_000L), Map.entry("G", 1000_000_000L),
            Map.entry("T", 1000_000_000_000L), Map.entry("P", 1000_000_000_000_000L),
            Map.entry("Ki", 1L << 10), Map.entry("Mi", 1L << 20), Map.entry("Gi", 1L << 30), Map.entry("Ti", 1L << 40),
            Map.entry("Pi", 1L << 50));
    public static final List<String> FIELDS = List.of("cpu", "memory", "storage");

    public Infra {
        if (cpu != null && cpu.signum() <= 0) {
            throw new IllegalArgumentException("cpu must be above 0, got " + cpu);
        }
        if (memory != null) {
            bytes(memory);
        }
        if (storage != null) {
            bytes(storage);
        }
    }

    /**
     * The bytes a quantity stands for ({@code "512Mi"} → 536870912); throws IllegalArgumentException
     * naming the expected form for anything else (including 0).
     */
    public static long bytes(String quantity) {
        Matcher m = QUANTITY.matcher(quantity == null ? "" : quantity);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a quantity such as \"512Mi\" or \"2Gi\", got '" + quantity + "'");
        }
        BigDecimal value = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(UNITS.get(m.group(2) == null ? "" : m.group(2))));
        if (value.signum() <= 0) {
            throw new IllegalArgumentException("must be above 0, got '" + quantity + "'");
        }
        try {
            return value.setScale(0, java.math.RoundingMode.CEILING).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("too large: '" + quantity + "'");
        }
    }

    /**
     * A bare number of GiB (seed 002 writes {@code "memory": 2, "storage": 120}) as the quantity
     * stored and shown: {@code 2 → "2Gi"}, {@code 0.5 → "0.5Gi"}. Kept as a quantity so that every
     * reader of a stored job (re-runs, workers, views) sees one form.
     */
    public static String gib(BigDecimal number) {
        return number.stripTrailingZeros().toPlainString() + "Gi";
    }

    public Long memoryBytes() {
        return memory == null ? null : bytes(memory);
    }

    public Long storageBytes() {
        return storage == null ? null : bytes(storage);
    }

    /** The JSON shape stored on the job and shown by the API: only the parts asked for. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        if (cpu != null) {
            m.put("cpu", cpu.stripTrailingZeros().scale() <= 0 ? (Object) cpu.toBigInteger() : cpu);
        }
        if (memory != null) {
            m.put("memory", memory);
        }
        if (storage != null) {
            m.put("storage", storage);
        }
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Infra[cpu=%s, memory=%s, storage=%s]", cpu, memory, storage);
    }
}
