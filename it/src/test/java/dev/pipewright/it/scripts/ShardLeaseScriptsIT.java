package dev.pipewright.it.scripts;

import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shard lease script and the fence it gives the overseer's shard calls, against the real
 * Redis: one holder at a time, a token that grows with every new holder, and a call that carries
 * an old token refused before it writes anything.
 */
class ShardLeaseScriptsIT {
    private static final Duration LONG = Duration.ofMinutes(5);
    private ScriptBench bench;
    private StateGateway gateway;

    @BeforeEach
    void open() {
        bench = new ScriptBench();
        gateway = bench.gateway;
    }

    @AfterEach
    void close() {
        bench.close();
    }

    @Test
    void oneHolderAtATimeAndEveryNewHolderAGreaterToken() throws Exception {
        ShardLease a = gateway.takeLease(0, "a", LONG).orElseThrow();
        assertTrue(gateway.renewLease(a, LONG), "renewing keeps the token");
        assertTrue(gateway.takeLease(0, "b", LONG).isEmpty(), "held by a");
        assertFalse(gateway.giveLease(new ShardLease(0, "b", a.token())), "b cannot give up a's lease");
        assertTrue(gateway.takeLease(1, "b", LONG).isPresent(), "another shard is free");

        assertTrue(gateway.giveLease(a));
        assertFalse(gateway.giveLease(a), "given up already");
        ShardLease b = gateway.takeLease(0, "b", LONG).orElseThrow();
        assertTrue(b.token() > a.token(), "a new holder, a greater token: " + a + " then " + b);
        assertFalse(gateway.renewLease(a, LONG), "a's token is void");
        assertTrue(gateway.renewLease(b, LONG));
    }

    @Test
    void aLapsedLeaseIsTakenOverAndItsHolderFencedOff() throws Exception {
        ShardLease a = gateway.takeLease(0, "a", Duration.ofMillis(300)).orElseThrow();
        Thread.sleep(400);
        ShardLease b = gateway.takeLease(0, "b", LONG).orElseThrow();
        assertTrue(b.token() > a.token());
        assertFalse(gateway.renewLease(a, LONG), "a renewed too late: the shard is b's");
        assertTrue(gateway.takeLease(0, "a", LONG).isEmpty());

        // a job's event waits on shard 0: the old holder's release is refused and changes nothing
        ScriptBench.Plan p = bench.plan(0);
        p.task("x");
        p.task("y", "x");
        p.submit();
        bench.succeed(p.id, "x");
        List<StateGateway.Event> events = bench.readEvents(0);
        assertEquals(1, events.size());
        Map<String, String> before = bench.snapshot();
        ShardLease.Lost lost = assertThrows(ShardLease.Lost.class, () -> gateway.await(gateway.release(a, "overseer", events)));
        assertTrue(lost.getMessage().contains("held by b"), lost.getMessage());
        assertThrows(ShardLease.Lost.class, () -> gateway.expire(a, p.id, "x", 3));
        assertThrows(ShardLease.Lost.class, () -> gateway.requeue(a, "default", p.id, "y", 0));
        assertThrows(ShardLease.Lost.class, () -> gateway.fireTimer(a, "r|" + p.id.value() + "|x", p.id, "r", "x", ""));
        assertEquals(before, bench.snapshot(), "a fenced call writes nothing");

        // the new holder's release goes through
        assertEquals("1", OutboxEntry.Reply.of(gateway.await(gateway.release(b, "overseer", events))).status(),
                "x's event released y");
        assertEquals("READY", bench.state(p.id, "y"));
    }

    @Test
    void aLapsedLeaseNobodyTookIsRenewedAndATakeUnderTheSameIdFencesTheOldToken() throws Exception {
        ShardLease first = gateway.takeLease(1, "a", Duration.ofMillis(300)).orElseThrow();
        Thread.sleep(400);
        assertTrue(gateway.renewLease(first, LONG), "no one took it in between: the token still holds");
        // a restarted overseer (same id) takes its shard back at once, and the old process's token is void
        ShardLease restarted = gateway.takeLease(1, "a", LONG).orElseThrow();
        assertTrue(restarted.token() > first.token());
        assertFalse(gateway.renewLease(first, LONG));
        ScriptBench.Plan p = bench.plan(1);
        p.task("x");
        p.submit();
        assertThrows(ShardLease.Lost.class, () -> gateway.expire(first, p.id, "x", 3));
    }
}
