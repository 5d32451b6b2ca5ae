package dev.pipewright.worker.builtin;

import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskResult;

import java.nio.charset.StandardCharsets;

/** Writes the inputs, concatenated in declared order (with config {@code separator} between them), to every output. */
public final class ConcatProcessor implements Processor {
    @Override
    public String name() {
        return "concat";
    }

    @Override
    public TaskResult process(TaskContext ctx) {
        Object sep = ctx.config().get("separator");
        if (sep == null) {
            return Outputs.all(ctx, ctx.concatenatedInputs());
        }
        byte[] separator = sep.toString().getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        boolean first = true;
        for (byte[] b : ctx.inputs().values()) {
            if (!first) {
                out.writeBytes(separator);
            }
            out.writeBytes(b);
            first = false;
        }
        return Outputs.all(ctx, out.toByteArray());
    }

    @Override
    public boolean quick() {
        return true;
    }
}
