package dev.pipewright.worker.runtime;

import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.protocol.cache.CacheEntry;
import dev.pipewright.protocol.cache.CacheKey;
import dev.pipewright.protocol.cache.CacheSpec;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheRecorderTest {
    private static final TaskMessage MESSAGE = new TaskMessage(1, "job1", 0, "join", 1);
    private static final TaskSpec SPEC = new TaskSpec("step", Map.of("k", 1), List.of("x", "y"), List.of("out"), 0)
            .withCache(new CacheSpec("v1", null, 60, "pipe"));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Processor processor(String version, boolean deterministic) {
        return new Processor() {
            @Override
            public String name() {
                return "step";
            }

            @Override
            public TaskResult process(TaskContext context) {
                return null;
            }

            @Override
            public String version() {
                return version;
            }

            @Override
            public boolean deterministic() {
                return deterministic;
            }
        };
    }

    @Test
    void theEntryIsKeyedAsTheOverseerLooksItUp() {
        CacheEntry e = CacheRecorder.entry(MESSAGE, SPEC, Map.of("y", b("Y"), "x", b("X")),
                Map.of("out", new StateGateway.Output(b("XY"), "text/plain")), 1000);
        String expected = CacheKey.of("step", "v1", Map.of("k", 1), List.of("x", "y"), List.of("out"),
                List.of(CacheKey.sha256(b("X")), CacheKey.sha256(b("Y"))), null);
        assertEquals(expected, e.key());
        assertEquals(1000 + 60_000, e.expires());
        assertEquals("pipe", e.pipeline());
        assertEquals("job1", e.job());
        assertEquals(CacheKey.sha256(b("XY")), e.outputs().get(0).digest());
        CacheEntry back = CacheEntry.decode(e.encode());
        assertEquals("XY", new String(back.outputs().get(0).value(), StandardCharsets.UTF_8));
    }

    @Test
    void anOutputInTheObjectStoreIsNotMemoised() {
        byte[] ref = new ObjectRef("bucket", "jobs/job1/out", 10, "abc", "text/plain").encode();
        assertNull(CacheRecorder.entry(MESSAGE, SPEC, Map.of("x", b("X"), "y", b("Y")),
                Map.of("out", new StateGateway.Output(ref, "text/plain")), 0));
    }

    @Test
    void onlyDeterministicProcessorsOfThePinnedVersionStore() {
        assertTrue(CacheRecorder.applies(SPEC, processor("v1", true)));
        assertFalse(CacheRecorder.applies(SPEC, processor("v2", true)), "another version than the one pinned at submit");
        assertFalse(CacheRecorder.applies(SPEC, processor("v1", false)));
        assertFalse(CacheRecorder.applies(new TaskSpec("step", Map.of(), List.of(), List.of(), 0), processor("v1", true)),
                "no cache: in the spec, nothing to do");
        TaskSpec refreshed = SPEC.withCache(new CacheSpec("v1", null, 60, "pipe", false));
        assertTrue(CacheRecorder.applies(refreshed, processor("v1", true)), "a refreshed node still stores its result");
        assertFalse(CacheRecorder.looksUp(refreshed, processor("v1", true)), "but does not look it up");
        assertTrue(CacheRecorder.looksUp(SPEC, processor("v1", true)));
    }
}
