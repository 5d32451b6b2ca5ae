package dev.pipewright.worker.builtin;

import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies input bytes to outputs: one input goes to every output; with as many inputs as outputs,
 * the i-th input goes to the i-th output.
 */
public final class IdentityProcessor implements Processor {
    @Override
    public String name() {
        return "identity";
    }

    @Override
    public TaskResult process(TaskContext ctx) throws TaskFailure {
        List<byte[]> inputs = new ArrayList<>(ctx.inputs().values());
        if (inputs.size() == 1) {
            return Outputs.all(ctx, inputs.get(0));
        }
        if (inputs.size() != ctx.outputs().size()) {
            throw TaskFailure.permanent("identity needs one input, or as many inputs as outputs; got "
                    + inputs.size() + " inputs and " + ctx.outputs().size() + " outputs");
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            out.put(ctx.outputs().get(i), inputs.get(i));
        }
        return TaskResult.of(out);
    }

    @Override
    public boolean quick() {
        return true;
    }
}
