package dev.pipewright.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.TaskMessage;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;

/** The task message codec: the worker reads one per delivery; Java writes one where Lua does not. */
@State(Scope.Benchmark)
public class TaskMessageCodecBench extends ShortRun {
    // one mapper per class, as AttemptScheduler and OutboxRelay hold theirs
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter WRITER = JSON.writerFor(BusMessage.class);

    byte[] body = Fixtures.b(Fixtures.taskMessage("train_model", 42L));
    TaskMessage message = new TaskMessage(TaskMessage.VERSION, Fixtures.JOB, Fixtures.SHARD, "train_model", 42L);

    /** What AttemptScheduler.parse does with a delivery's body. */
    @Benchmark
    public TaskMessage parse() throws IOException {
        BusMessage parsed = JSON.readValue(body, BusMessage.class);
        if (!(parsed instanceof TaskMessage tm) || tm.job() == null || tm.node() == null || !JobId.isValid(tm.job())) {
            throw new IOException("not a task message");
        }
        return tm;
    }

    /** Writing one with its {@code type} property, as the protocol's round-trip test does. */
    @Benchmark
    public byte[] write() throws IOException {
        return WRITER.writeValueAsBytes(message);
    }
}
