package dev.pipewright.worker.builtin;

import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskResult;

/** Writes an empty value to every output. */
public final class NoopProcessor implements Processor {
    private static final byte[] EMPTY = new byte[0];

    @Override
    public String name() {
        return "noop";
    }

    @Override
    public TaskResult process(TaskContext ctx) {
        return Outputs.all(ctx, EMPTY);
    }

    @Override
    public boolean quick() {
        return true;
    }
}
