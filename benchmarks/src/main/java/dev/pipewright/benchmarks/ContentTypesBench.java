package dev.pipewright.benchmarks;

import dev.pipewright.protocol.message.ContentTypes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** The content type the worker sniffs for every output value it commits. */
@State(Scope.Benchmark)
public class ContentTypesBench extends ShortRun {
    byte[] value = Fixtures.smallValue();

    @Benchmark
    public String sniff() {
        return ContentTypes.sniff(value);
    }
}
