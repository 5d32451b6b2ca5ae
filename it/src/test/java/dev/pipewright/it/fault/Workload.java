package dev.pipewright.it.fault;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The fault tests' pipeline: {@code head} sleeps ({@code sleepMs}) on the job's seed, {@code width}
 * branches each sleep ({@code branchMs}) on the head's output and an input of their own, and {@code join} concatenates the
 * branches. Every consumable is a function of the seed, so the ledger can check any job's outputs
 * from its inputs alone; a lost, repeated or reordered write shows. The processors are the
 * {@link AuditProcessors}, which keep their own record of every run for the ledger.
 */
record Workload(String name, int width, long sleepMs, long branchMs, boolean gated) {
    /** Every node sleeps {@code sleepMs}. */
    Workload(String name, int width, long sleepMs) {
        this(name, width, sleepMs, sleepMs, false);
    }

    /** The same pipeline with branches that wait for the test to open their gate ({@link AuditProcessors#openGate}). */
    Workload gatedBranches() {
        return new Workload(name, width, sleepMs, branchMs, true);
    }

    int tasksPerJob() {
        return width + 2;
    }

    String yaml() {
        StringBuilder y = new StringBuilder("name: ").append(name).append("\ndataNodes:\n  seed:\n  head_out:\n  joined:\n");
        for (int k = 1; k <= width; k++) {
            y.append("  tag").append(k).append(":\n  branch").append(k).append(":\n");
        }
        y.append("processNodes:\n  head:\n    input: [seed]\n    output: [head_out]\n    processor: audit.sleep\n    config: {ms: ")
                .append(sleepMs).append("}\n");
        StringJoiner branches = new StringJoiner(", ");
        for (int k = 1; k <= width; k++) {
            y.append("  b").append(k).append(":\n    input: [head_out, tag").append(k).append("]\n    output: [branch").append(k)
                    .append("]\n    processor: audit.sleep\n    config: {ms: ").append(branchMs).append(gated ? ", gate: true" : "").append("}\n");
            branches.add("branch" + k);
        }
        y.append("  join:\n    input: [").append(branches).append("]\n    output: [joined]\n    processor: audit.concat\n")
                .append("    config: {separator: \",\"}\n");
        return y.toString();
    }

    String seed(int job) {
        return "job" + job + "/";
    }

    /** The submit body of job number {@code job}. */
    String body(int job) {
        StringBuilder b = new StringBuilder("{\"inputs\": {\"seed\": \"").append(seed(job)).append('"');
        for (int k = 1; k <= width; k++) {
            b.append(", \"tag").append(k).append("\": \"t").append(k).append('"');
        }
        return b.append("}}").toString();
    }

    /** Every data node's expected content, derived from the seed a job was given. */
    Map<String, String> expected(String seed) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("head_out", seed);
        StringJoiner joined = new StringJoiner(",");
        for (int k = 1; k <= width; k++) {
            String branch = seed + "t" + k;
            out.put("branch" + k, branch);
            joined.add(branch);
        }
        out.put("joined", joined.toString());
        return out;
    }
}
