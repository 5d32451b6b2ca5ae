package dev.pipewright.worker.builtin;

import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskResult;

import java.util.LinkedHashMap;
import java.util.Map;

final class Outputs {
    private Outputs() {
    }

    /** Every declared output gets the same bytes. */
    static TaskResult all(TaskContext ctx, byte[] value) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String name : ctx.outputs()) {
            out.put(name, value);
        }
        return TaskResult.of(out);
    }
}
