package dev.pipewright.benchmarks;

import dev.pipewright.infra.state.StateGateway;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;

/** The worker's commit call: the script's byte[] arguments for a batch of successful attempts, two outputs each. */
@State(Scope.Benchmark)
public class CommitArgsBench extends ShortRun {
    @Param({"1", "64"})
    public int batch;
    List<StateGateway.Commit> commits;

    @Setup
    public void setUp() {
        commits = Fixtures.commits(batch);
    }

    @Benchmark
    public byte[][] commitArgs() {
        return StateGateway.commitArgs(commits);
    }
}
