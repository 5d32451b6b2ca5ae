package dev.pipewright.benchmarks;

import dev.pipewright.infra.state.ClaimReply;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.message.ContentTypes;
import dev.pipewright.worker.store.Claim;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Each benchmark called once, outside JMH: its inputs still have the shape the code expects, so a
 * benchmark does not end up measuring an exception path after a format changes.
 */
class BenchmarkInputsTest {
    @Test
    void theTaskMessageIsReadAndWrittenAsLibLuaWritesIt() throws Exception {
        TaskMessageCodecBench bench = new TaskMessageCodecBench();
        assertEquals(bench.message, bench.parse());
        assertEquals(new String(bench.body, StandardCharsets.UTF_8), new String(bench.write(), StandardCharsets.UTF_8));
    }

    @Test
    void theClaimReplyIsAClaimWithItsInputsByName() {
        ClaimBench bench = new ClaimBench();
        List<ClaimReply> replies = bench.claimReplies(new ClaimBench.Raw());
        assertInstanceOf(ClaimReply.Claimed.class, replies.get(0));

        ClaimBench.Reply none = new ClaimBench.Reply();
        none.infra = "none";
        none.setUp();
        Claim.Claimed claimed = assertInstanceOf(Claim.Claimed.class, bench.toClaimed(none));
        assertEquals(List.of("features", "labels"), List.copyOf(claimed.inputs().keySet()));
        assertEquals("eu-west-1", claimed.parameters().get("region"));
        assertNull(claimed.infra());

        ClaimBench.Reply set = new ClaimBench.Reply();
        set.infra = "set";
        set.setUp();
        assertEquals(new Infra(new BigDecimal("2"), "4Gi", null), ((Claim.Claimed) bench.toClaimed(set)).infra());
    }

    @Test
    void commitArgumentsAreSevenPlusSixPerCommit() {
        for (int batch : new int[] {1, 64}) {
            CommitArgsBench bench = new CommitArgsBench();
            bench.batch = batch;
            bench.setUp();
            assertEquals(batch * (7 + 2 * 3), bench.commitArgs().length);
        }
    }

    @Test
    void theReleaseReplyHasItsDispatchedEntries() {
        ReleaseReplyBench bench = new ReleaseReplyBench();
        for (int dispatched : new int[] {0, 100}) {
            ReleaseReplyBench.Raw raw = new ReleaseReplyBench.Raw();
            raw.dispatched = dispatched;
            raw.setUp();
            OutboxEntry.Reply reply = bench.replyOf(raw);
            assertEquals(dispatched, reply.dispatched().size());
            assertEquals(OutboxEntry.Ends.NONE, reply.ends());
        }
        OutboxEntry.Ends ends = bench.endsParse(new ReleaseReplyBench.EndsText());
        assertEquals(1, ends.tasks().size());
        assertEquals(1, ends.jobs().get("FAILED"));
    }

    @Test
    void theSmallValueSniffsAsJson() {
        assertEquals(ContentTypes.JSON, new ContentTypesBench().sniff());
    }
}
