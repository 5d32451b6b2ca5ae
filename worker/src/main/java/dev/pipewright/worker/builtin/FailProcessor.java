package dev.pipewright.worker.builtin;

import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;

/**
 * Fails the first config {@code times} attempts (default: every attempt), then succeeds with the
 * concatenated inputs. With {@code retryable: false} each failure is final.
 */
public final class FailProcessor implements Processor {
    @Override
    public String name() {
        return "fail";
    }

    @Override
    public TaskResult process(TaskContext ctx) throws TaskFailure {
        long times = ctx.configLong("times", Long.MAX_VALUE);
        boolean retryable = ctx.configBoolean("retryable", true);
        if (ctx.attempt() <= times) {
            String message = ctx.config().getOrDefault("message", "failing on purpose").toString();
            throw new TaskFailure("FailProcessor", message + " (attempt " + ctx.attempt() + ")", retryable);
        }
        return Outputs.all(ctx, ctx.concatenatedInputs());
    }

    @Override
    public boolean quick() {
        return true;
    }
}
