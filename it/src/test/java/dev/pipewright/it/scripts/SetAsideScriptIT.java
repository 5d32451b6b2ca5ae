package dev.pipewright.it.scripts;

import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.release.EventProcessor;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * setaside.lua against the real Redis: what it records, what it does to the job, and that the job
 * still ends once the item that kept failing is out of the way.
 */
class SetAsideScriptIT {
    private ScriptBench bench;

    @BeforeEach
    void open() {
        bench = new ScriptBench();
    }

    @AfterEach
    void close() {
        bench.close();
    }

    private List<StreamMessage<String, String>> records(int shard) {
        return bench.redis.xrange(bench.keys.setAside(shard), Range.create("-", "+"));
    }

    @Test
    void refusedOutputsStopTheJobWithTheReasonAndTheEventIsThenReleasedAsUsual() throws Exception {
        ScriptBench.Plan p = bench.plan(0);
        p.task("x");
        p.task("y", "x");
        p.submit();
        bench.succeed(p.id, "x");
        List<StateGateway.Event> events = bench.readEvents(0);
        assertEquals(1, events.size());
        String reason = "outputs of task 'x' could not be written to the data store: 'owners/a/out' is a directory";

        OutboxEntry.Reply r = bench.gateway.setAside(bench.lease(0), EventProcessor.GROUP, StateGateway.AsideKind.STORE,
                events.get(0).entryId(), p.id.value(), "x", reason);
        assertEquals("stopping", r.status());
        assertEquals("CANCELLING", bench.status(p.id));
        assertEquals("CANCELLED", bench.state(p.id, "y"), "nothing more of the job runs");
        assertEquals(reason, bench.redis.hget(bench.keys.task(p.id, "x"), "error"), "the task says why");
        List<StreamMessage<String, String>> recorded = records(0);
        assertEquals(1, recorded.size());
        assertEquals("store", recorded.get(0).getBody().get("kind"));
        assertEquals(p.id.value(), recorded.get(0).getBody().get("job"));
        assertEquals(reason, recorded.get(0).getBody().get("reason"));

        bench.release(0, events);
        assertEquals("FAILED", bench.status(p.id), "ended once its last task was counted");
        assertEquals(reason, bench.redis.hget(bench.keys.job(p.id), "reason"));
        assertEquals(0L, bench.redis.xlen(bench.keys.events(0)), "the event is gone");
    }

    @Test
    void anEventTheReleaseCannotApplyIsReportedAndSettingItAsideEndsTheJob() throws Exception {
        ScriptBench.Plan p = bench.plan(1);
        p.task("x");
        p.task("y", "x");
        p.submit();
        // a state the script does not expect: y has lost the number of parents it waits for
        bench.redis.hdel(bench.keys.task(p.id, "y"), "np");
        bench.succeed(p.id, "x");
        List<StateGateway.Event> events = bench.readEvents(1);
        OutboxEntry.Reply released = bench.release(1, events);
        assertTrue(released.status().startsWith("error:"), released.status());
        assertTrue(bench.redis.sismember(bench.keys.job(p.id) + ":done", "x"), "x was counted before the error: it stays done");
        assertEquals(0L, bench.redis.xlen(bench.keys.events(1)), "the batch is acknowledged");
        assertEquals("RUNNING", bench.status(p.id), "without the caller, the job would wait for y for ever");

        bench.gateway.setAside(bench.lease(1), EventProcessor.GROUP, StateGateway.AsideKind.EVENT, events.get(0).entryId(), p.id.value(),
                "x", "releasing the task's end failed: " + released.status().substring(6));
        assertEquals("FAILED", bench.status(p.id), "y cancelled, every task counted once: the job ended");
        assertTrue(bench.redis.hget(bench.keys.job(p.id), "reason").startsWith("releasing the task's end failed: "));
    }

    @Test
    void aDroppedEventStillLetsItsJobEnd() throws Exception {
        ScriptBench.Plan p = bench.plan(1);
        p.task("x");
        p.task("y", "x");
        p.submit();
        bench.succeed(p.id, "x");
        StateGateway.Event e = bench.readEvents(1).get(0);
        bench.gateway.setAside(bench.lease(1), EventProcessor.GROUP, StateGateway.AsideKind.EVENT, e.entryId(), p.id.value(), "x",
                "the event could not be applied after 6 tries: boom");
        assertEquals("FAILED", bench.status(p.id), "x counted here (its event will never be), y cancelled: the job ended");
        assertEquals(0L, bench.redis.xlen(bench.keys.events(1)), "acknowledged and deleted");
        assertEquals(0L, bench.redis.xpending(bench.keys.events(1), EventProcessor.GROUP).getCount(), "nothing left pending");
    }

    @Test
    void aDroppedLeaseExpiryEndsItsRunningTask() throws Exception {
        ScriptBench.Plan p = bench.plan(0);
        p.task("x");
        p.submit();
        bench.claimOne(p.id, "x", Duration.ofMillis(1));
        String member = p.id.value() + "|x";
        assertTrue(bench.redis.zscore(bench.keys.leases(0), member) != null);
        bench.gateway.setAside(bench.lease(0), "", StateGateway.AsideKind.LEASE, member, p.id.value(), "x", "the lease could not be applied");
        assertNull(bench.redis.zscore(bench.keys.leases(0), member), "removed from the lease set");
        assertEquals("FAILED", bench.state(p.id, "x"));
        assertEquals("FAILED", bench.status(p.id));
        assertEquals("lease", records(0).get(0).getBody().get("kind"));
    }
}
