package dev.pipewright.benchmarks;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Defaults for every benchmark here: time per operation in ns, and a run short enough for a
 * shared two-core machine (JMH's own defaults take minutes per benchmark). Command-line options
 * (-f, -wi, -i, -w, -r) override them. Inputs live in non-final {@code @State} fields, so the JIT
 * cannot fold them into constants, and each benchmark returns its result, so none is dead code.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class ShortRun {
}
