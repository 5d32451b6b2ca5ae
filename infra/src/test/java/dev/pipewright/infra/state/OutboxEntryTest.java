package dev.pipewright.infra.state;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutboxEntryTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aScriptReplyHasItsStatusWhatItEndedAndFiveFieldsPerDispatchedEntry() {
        OutboxEntry.Reply r = OutboxEntry.Reply.of(List.of(b("2"), b("t|gpu.a|SKIPPED|upstream_failed=3;j|FAILED=1"),
                b("a|processor|train|2|j1|n1|10000001700000;r|pipeline|etl|0|j2"), b("1-0"), b("gpu.a:high"), b("{\"m\":1}"), b("2"), b("train"),
                b("1-1"), b("default"), b("{\"m\":2}"), b("0"), b("")));
        assertEquals("2", r.status());
        assertEquals(List.of(new OutboxEntry.TaskEnd("gpu.a", "SKIPPED", "upstream_failed", 3)), r.ends().tasks());
        assertEquals(Map.of("FAILED", 1), r.ends().jobs());
        assertEquals(List.of(new SlotRequest(true, "processor", "train", "2|j1|n1", "10000001700000"),
                SlotRequest.giveBack("pipeline", "etl", "0|j2")), r.slots());
        assertEquals(2, r.slots().get(0).shard());
        assertEquals(2, r.dispatched().size());
        OutboxEntry first = r.dispatched().get(0);
        assertEquals(new OutboxEntry("1-0", "gpu.a:high", "{\"m\":1}", 2, "train"), first);
        assertEquals("gpu.a", first.poolName());
        assertEquals("default", r.dispatched().get(1).poolName());
        assertEquals(Map.of(2, List.of(first), 0, List.of(r.dispatched().get(1))), OutboxEntry.byShard(r.dispatched()));
    }

    @Test
    void aReplyWithNothingEndedOrDispatched() {
        OutboxEntry.Reply r = OutboxEntry.Reply.of(List.of(b("stale"), b(""), b("")));
        assertEquals("stale", r.status());
        assertEquals(OutboxEntry.Ends.NONE, r.ends());
        assertTrue(r.dispatched().isEmpty());
        assertTrue(r.slots().isEmpty());
    }

    @Test
    void endsOfSeveralKindsAddUpPerJobStatus() {
        OutboxEntry.Ends e = OutboxEntry.Ends.parse("j|SUCCESS=1;t|default|CANCELLED|cancelled=2;j|SUCCESS=2;t|p|retry|attempt_timeout=1");
        assertEquals(Map.of("SUCCESS", 3), e.jobs());
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "CANCELLED", "cancelled", 2),
                new OutboxEntry.TaskEnd("p", "retry", "attempt_timeout", 1)), e.tasks());
    }

    @Test
    void jobEndsCarryTheirPipelineAndRunTime() {
        OutboxEntry.Ends e = OutboxEntry.Ends.parse("j|FAILED=1;J|FAILED|nightly|90000=1");
        assertEquals(Map.of("FAILED", 1), e.jobs());
        assertEquals(List.of(new OutboxEntry.JobEnd("nightly", "FAILED", 90000, 1)), e.jobEnds());
        OutboxEntry.Ends both = e.plus(OutboxEntry.Ends.parse("J|SUCCESS|x|5=2"));
        assertEquals(2, both.jobEnds().size());
    }
}
