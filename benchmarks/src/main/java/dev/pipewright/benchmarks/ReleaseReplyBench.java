package dev.pipewright.benchmarks;

import dev.pipewright.infra.state.OutboxEntry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;

/** The overseer's release: a dispatching script's reply parsed into the entries it publishes, and what it ended. */
public class ReleaseReplyBench extends ShortRun {
    @State(Scope.Benchmark)
    public static class Raw {
        @Param({"0", "100"})
        public int dispatched;
        List<Object> raw;

        @Setup
        public void setUp() {
            raw = Fixtures.releaseScriptReply(dispatched);
        }
    }

    @State(Scope.Benchmark)
    public static class EndsText {
        /** A task skipped after a failure and its job failed: the usual non-empty ends. */
        String text = "t|default|SKIPPED|upstream_failed=3;j|FAILED=1";
    }

    @Benchmark
    public OutboxEntry.Reply replyOf(Raw s) {
        return OutboxEntry.Reply.of(s.raw);
    }

    @Benchmark
    public OutboxEntry.Ends endsParse(EndsText s) {
        return OutboxEntry.Ends.parse(s.text);
    }
}
