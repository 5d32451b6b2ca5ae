package dev.pipewright.worker.builtin;

import dev.pipewright.protocol.branch.BranchRule;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;

import java.util.Map;

/**
 * Routes its single input, unchanged, to exactly one of its outputs, chosen by the rule in its
 * config ({@link BranchRule}: a job parameter or a value in the input's JSON, cases, a default).
 * The other outputs are left unproduced (they are declared optional), so the tasks that need them
 * are skipped. A value no case names, without a default, fails the task for good: retrying would
 * choose the same way.
 */
public final class BranchProcessor implements Processor {
    @Override
    public String name() {
        return BranchRule.PROCESSOR;
    }

    @Override
    public TaskResult process(TaskContext ctx) throws TaskFailure {
        if (ctx.inputs().size() != 1) {
            throw TaskFailure.permanent("branch routes exactly one input, got " + ctx.inputs().size());
        }
        BranchRule rule;
        try {
            // parameters are not checked here: the pipeline was validated, and per-run configuration may
            // have resolved the placeholder already
            rule = BranchRule.parse(ctx.config(), "config", ctx.outputs(), null);
        } catch (BranchRule.Invalid e) {
            throw TaskFailure.permanent("branch: " + e.getMessage());
        }
        byte[] input = ctx.inputs().values().iterator().next();
        String chosen;
        try {
            chosen = rule.route(ctx.parameters(), input);
        } catch (BranchRule.NoRoute e) {
            throw new TaskFailure("NoBranch", e.getMessage(), false);
        }
        for (String out : ctx.outputs()) {
            if (!out.equals(chosen) && !ctx.isOptional(out)) {
                throw TaskFailure.permanent("branch: output '" + out + "' is not declared optional: true, so it cannot be left unproduced");
            }
        }
        ctx.log().line("branch: routed to '" + chosen + "'");
        return TaskResult.of(Map.of(chosen, input));
    }

    @Override
    public boolean quick() {
        return true;
    }
}
