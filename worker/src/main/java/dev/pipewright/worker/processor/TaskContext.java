package dev.pipewright.worker.processor;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one attempt sees: its inputs (in declared order), the outputs it must write, the
 * node's {@code config}, the job's parameters, a log, and which outputs are optional (declared
 * {@code optional: true}: the processor may leave them out, and the tasks that need them are skipped).
 */
public record TaskContext(
        String jobId,
        String node,
        int attempt,
        Map<String, byte[]> inputs,
        List<String> outputs,
        Map<String, Object> config,
        Map<String, Object> parameters,
        TaskLog log,
        Set<String> optionalOutputs) {

    public TaskContext {
        optionalOutputs = optionalOutputs == null ? Set.of() : Set.copyOf(optionalOutputs);
    }

    /** A context whose outputs are all required. */
    public TaskContext(String jobId, String node, int attempt, Map<String, byte[]> inputs, List<String> outputs,
                       Map<String, Object> config, Map<String, Object> parameters, TaskLog log) {
        this(jobId, node, attempt, inputs, outputs, config, parameters, log, Set.of());
    }

    /** Whether the processor may leave this output unproduced. */
    public boolean isOptional(String output) {
        return optionalOutputs.contains(output);
    }

    /** All inputs concatenated in declared order. */
    public byte[] concatenatedInputs() {
        int size = inputs.values().stream().mapToInt(b -> b.length).sum();
        byte[] out = new byte[size];
        int pos = 0;
        for (byte[] b : inputs.values()) {
            System.arraycopy(b, 0, out, pos, b.length);
            pos += b.length;
        }
        return out;
    }

    public long configLong(String key, long fallback) throws TaskFailure {
        Object v = config.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw TaskFailure.permanent("config." + key + " must be a number, got '" + v + "'");
        }
    }

    public boolean configBoolean(String key, boolean fallback) {
        Object v = config.get(key);
        return v == null ? fallback : v instanceof Boolean b ? b : Boolean.parseBoolean(v.toString());
    }
}
