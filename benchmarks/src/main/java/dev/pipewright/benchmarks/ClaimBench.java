package dev.pipewright.benchmarks;

import dev.pipewright.infra.state.ClaimReply;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.worker.store.AttemptStore;
import dev.pipewright.worker.store.Claim;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;

/**
 * A claimed attempt on the worker: the claim script's raw reply parsed into a ClaimReply, then
 * its spec and parameters (JSON) into the Claim the runner starts.
 */
public class ClaimBench extends ShortRun {
    @State(Scope.Benchmark)
    public static class Raw {
        List<Object> raw = Fixtures.claimScriptReply("");
    }

    @State(Scope.Benchmark)
    public static class Reply {
        /** Whether the job asks for infra (cpu, memory), which the claim parses as JSON too. */
        @Param({"none", "set"})
        public String infra;
        ClaimReply reply;

        @Setup
        public void setUp() {
            reply = StateGateway.claimReplies(Fixtures.claimScriptReply(Fixtures.infra(infra.equals("set")))).get(0);
        }
    }

    @Benchmark
    public List<ClaimReply> claimReplies(Raw s) {
        return StateGateway.claimReplies(s.raw);
    }

    @Benchmark
    public Claim toClaimed(Reply s) {
        return AttemptStore.claim(s.reply);
    }
}
