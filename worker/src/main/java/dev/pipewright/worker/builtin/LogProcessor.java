package dev.pipewright.worker.builtin;

import dev.pipewright.infra.log.LogSafe;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs config {@code message} (default {@code "hello"}) through SLF4J, as any Java processor's
 * library code would, then writes the concatenated inputs to every output. With
 * {@code fail_times: N} the first N attempts fail (retryable) after logging. The worker keeps the
 * lines with the attempt's log ({@code GET /api/v1/jobs/{id}/logs}, {@code pipewright logs}).
 */
public final class LogProcessor implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(LogProcessor.class);

    @Override
    public String name() {
        return "log";
    }

    @Override
    public TaskResult process(TaskContext ctx) throws TaskFailure {
        String message = String.valueOf(ctx.config().getOrDefault("message", "hello"));
        LOG.info("{} (job {}, node {}, attempt {})", LogSafe.text(message), ctx.jobId(), ctx.node(), ctx.attempt());
        LOG.debug("not kept unless this logger's DEBUG is on");
        if (ctx.attempt() <= ctx.configLong("fail_times", 0)) {
            LOG.warn("failing attempt {} on purpose", ctx.attempt());
            throw TaskFailure.retryable("failing attempt " + ctx.attempt() + " on purpose");
        }
        return Outputs.all(ctx, ctx.concatenatedInputs());
    }
}
