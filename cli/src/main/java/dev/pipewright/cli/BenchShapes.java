package dev.pipewright.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The benchmark workloads (docs/performance.md, "Workloads"), as pipeline documents (JSON) whose
 * process nodes all run the {@code noop} processor:
 * W1 10,000 independent tasks; W2 a chain of 1,000; W3 1 → 2,000 → 1; W4 20 layers × 100 tasks,
 * each task after layer 0 reading the outputs of 2 distinct tasks of the layer before, chosen
 * with {@code new Random(seed)}; W5 2,000 jobs of a 3-task chain, submitted by 32 clients at once.
 * W1x10 (not in "all": it takes a minute) is W1 ten times over: one job of 100,000 tasks.
 */
public final class BenchShapes {
    public static final List<String> ALL = List.of("W1", "W2", "W3", "W4", "W5");
    /** Shapes run only when named. */
    public static final List<String> EXTRA = List.of("W1X10");
    public static final String PROCESSOR = "noop";
    public static final int W1_TASKS = 10_000;
    public static final int W2_LENGTH = 1_000;
    public static final int W3_WIDTH = 2_000;
    public static final int W4_LAYERS = 20;
    public static final int W4_WIDTH = 100;
    public static final int W5_JOBS = 2_000;
    public static final int W5_LENGTH = 3;
    public static final int W5_CLIENTS = 32;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private BenchShapes() {
    }

    /**
     * A generated workload: its pipeline document, the tasks of one job, for W2 the chain's process
     * nodes in order (hop latencies), how many jobs of it run and how many clients submit them.
     */
    public record Generated(String shape, ObjectNode document, int tasks, List<String> chain, int jobs, int clients) {
        public Generated(String shape, ObjectNode document, int tasks, List<String> chain) {
            this(shape, document, tasks, chain, 1, 1);
        }

        public String pipelineName() {
            return document.path("name").asText();
        }

        /** Tasks of every job of the shape. */
        public int totalTasks() {
            return tasks * jobs;
        }
    }

    /** The shape's canonical name (W1..W5) or null when unknown. */
    public static String normalize(String shape) {
        String s = shape.trim().toUpperCase(Locale.ROOT);
        return ALL.contains(s) || EXTRA.contains(s) ? s : null;
    }

    public static Generated generate(String shape, long seed, String pool) {
        return switch (shape) {
            case "W1" -> w1(pool);
            case "W1X10" -> w1(pool, 10);
            case "W2" -> w2(pool);
            case "W3" -> w3(pool);
            case "W4" -> w4(seed, pool);
            case "W5" -> w5(pool);
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        };
    }

    public static Generated w1(String pool) {
        return w1(pool, 1);
    }

    /** W1 {@code times} over in one job (W1x10: 100,000 tasks). */
    public static Generated w1(String pool, int times) {
        String shape = times == 1 ? "W1" : "W1X" + times;
        int tasks = W1_TASKS * times;
        Doc d = new Doc("bench-" + shape, shape + ": " + tasks + " independent no-op tasks", pool);
        for (int i = 0; i < tasks; i++) {
            String n = String.format(Locale.ROOT, times == 1 ? "%05d" : "%06d", i);
            d.task("t" + n, List.of(), "d" + n);
        }
        return new Generated(shape, d.root, tasks, List.of());
    }

    public static Generated w2(String pool) {
        Doc d = new Doc("bench-W2", "W2: a chain of " + W2_LENGTH + " no-op tasks", pool);
        List<String> chain = new ArrayList<>(W2_LENGTH);
        for (int i = 0; i < W2_LENGTH; i++) {
            String name = String.format(Locale.ROOT, "c%04d", i);
            List<String> in = i == 0 ? List.of() : List.of(String.format(Locale.ROOT, "h%04d", i - 1));
            d.task(name, in, String.format(Locale.ROOT, "h%04d", i));
            chain.add(name);
        }
        return new Generated("W2", d.root, W2_LENGTH, List.copyOf(chain));
    }

    public static Generated w3(String pool) {
        Doc d = new Doc("bench-W3", "W3: 1 -> " + W3_WIDTH + " -> 1 fan-out/fan-in of no-op tasks", pool);
        d.task("source", List.of(), "fan");
        List<String> middle = new ArrayList<>(W3_WIDTH);
        for (int i = 0; i < W3_WIDTH; i++) {
            String n = String.format(Locale.ROOT, "%04d", i);
            d.task("m" + n, List.of("fan"), "dm" + n);
            middle.add("dm" + n);
        }
        d.task("sink", middle, "out");
        return new Generated("W3", d.root, W3_WIDTH + 2, List.of());
    }

    public static Generated w4(long seed, String pool) {
        Doc d = new Doc("bench-W4", "W4: " + W4_LAYERS + " layers x " + W4_WIDTH
                + " no-op tasks, each reading 2 tasks of the layer before (seed " + seed + ")", pool);
        Random random = new Random(seed);
        for (int layer = 0; layer < W4_LAYERS; layer++) {
            for (int i = 0; i < W4_WIDTH; i++) {
                List<String> in;
                if (layer == 0) {
                    in = List.of();
                } else {
                    int a = random.nextInt(W4_WIDTH);
                    int b = random.nextInt(W4_WIDTH - 1);
                    if (b >= a) {
                        b++;
                    }
                    in = List.of(w4Data(layer - 1, a), w4Data(layer - 1, b));
                }
                d.task(w4Task(layer, i), in, w4Data(layer, i));
            }
        }
        return new Generated("W4", d.root, W4_LAYERS * W4_WIDTH, List.of());
    }

    /** Many small jobs: {@value #W5_JOBS} jobs of a chain of {@value #W5_LENGTH}, from {@value #W5_CLIENTS} clients at once. */
    public static Generated w5(String pool) {
        Doc d = new Doc("bench-W5", "W5: " + W5_JOBS + " jobs of a chain of " + W5_LENGTH + " no-op tasks, submitted by "
                + W5_CLIENTS + " clients at once", pool);
        for (int i = 0; i < W5_LENGTH; i++) {
            d.task("s" + i, i == 0 ? List.of() : List.of("v" + (i - 1)), "v" + i);
        }
        return new Generated("W5", d.root, W5_LENGTH, List.of(), W5_JOBS, W5_CLIENTS);
    }

    static String w4Task(int layer, int i) {
        return String.format(Locale.ROOT, "L%02d_%03d", layer, i);
    }

    static String w4Data(int layer, int i) {
        return String.format(Locale.ROOT, "dL%02d_%03d", layer, i);
    }

    /** Builds the document: data nodes are declared as they are first written. */
    private static final class Doc {
        final ObjectNode root = F.objectNode();
        final ObjectNode dataNodes;
        final ObjectNode processNodes;
        final String pool;

        Doc(String name, String description, String pool) {
            root.put("name", name);
            root.put("description", description);
            dataNodes = root.putObject("dataNodes");
            processNodes = root.putObject("processNodes");
            this.pool = pool == null || pool.isBlank() || pool.equals(ProcessNode.DEFAULT_POOL) ? null : pool;
        }

        void task(String name, List<String> inputs, String output) {
            dataNodes.putNull(output);
            ObjectNode t = processNodes.putObject(name);
            if (!inputs.isEmpty()) {
                ArrayNode in = t.putArray("input");
                inputs.forEach(in::add);
            }
            t.put("output", output);
            t.put("processor", PROCESSOR);
            if (pool != null) {
                t.put("pool", pool);
            }
        }
    }
}
