package dev.pipewright.worker.builtin;

import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;

/** Sleeps config {@code ms} milliseconds (interruptibly), then writes the concatenated inputs to every output. */
public final class SleepProcessor implements Processor {
    @Override
    public String name() {
        return "sleep";
    }

    @Override
    public TaskResult process(TaskContext ctx) throws TaskFailure, InterruptedException {
        long ms = ctx.configLong("ms", 1000);
        if (ms < 0) {
            throw TaskFailure.permanent("config.ms must not be negative");
        }
        Thread.sleep(ms);
        return Outputs.all(ctx, ctx.concatenatedInputs());
    }
}
