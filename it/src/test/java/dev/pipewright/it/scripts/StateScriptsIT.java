package dev.pipewright.it.scripts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.state.ClaimReply;
import dev.pipewright.infra.state.CommitReply;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.SlotRequest;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.infra.state.StateGateway.AttemptRef;
import dev.pipewright.infra.state.StateGateway.Outcome;
import dev.pipewright.it.scripts.ScriptBench.Checked;
import dev.pipewright.it.scripts.ScriptBench.Plan;
import dev.pipewright.overseer.limits.LimitsUpgrade;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.pipewright.infra.redis.Scripts.bytes;
import static dev.pipewright.it.scripts.ScriptBench.LEASE;
import static dev.pipewright.it.scripts.ScriptBench.failed;
import static dev.pipewright.it.scripts.ScriptBench.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every task-state script against the real Redis, called with the keys and arguments its caller
 * passes; jobs are made by the submit script and driven by the other scripts, so each starting
 * state is one the scripts themselves produce (a few stale leftovers a race can leave, such as a
 * timer or a lease for a task that has moved on, are written by hand and say so). Each call goes
 * through {@link ScriptBench#check}: tasks move only along TaskState.ALLOWED, the counters,
 * running set, leases, queued sets and timers match the tasks afterwards, and the same call
 * replayed changes no key.
 */
class StateScriptsIT {
    private ScriptBench bench;

    @BeforeEach
    void open() {
        bench = new ScriptBench();
    }

    @AfterEach
    void close() {
        bench.close();
    }

    private Map<String, String> job(JobId id) {
        return bench.redis.hgetall(bench.keys.job(id));
    }

    private Map<String, String> task(JobId id, String node) {
        return bench.redis.hgetall(bench.keys.task(id, node));
    }

    private List<StreamMessage<String, String>> events(int shard) {
        return bench.redis.xrange(bench.keys.events(shard), Range.create("-", "+"));
    }

    private static JsonNode message(OutboxEntry e) {
        try {
            return ScriptBench.JSON.readTree(e.message());
        } catch (Exception x) {
            throw new IllegalStateException("not a task message: " + e.message(), x);
        }
    }

    /** The node a dispatched task message names. */
    private static String node(OutboxEntry e) {
        return message(e).path("node").asText();
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static AttemptRef ref(JobId job, String node, long dispatch, String attempt) {
        return new AttemptRef(job.value(), node, dispatch, attempt);
    }

    // ------------------------------------------------------------------ submit

    @Test
    void submitCreatesTheTaskTableAndDispatchesTheTasksWithoutParents() throws Exception {
        Plan p = bench.plan(0);
        p.task("a");
        p.task("b", "a");
        p.task("c", "a");
        p.task("d", "b", "c");
        p.task("e");
        OutboxEntry.Reply r = p.submit();

        assertEquals("RUNNING", r.status());
        assertEquals(List.of("a", "e"), r.dispatched().stream().map(StateScriptsIT::node).toList());
        for (OutboxEntry e : r.dispatched()) {
            JsonNode m = message(e);
            assertEquals("default", e.pool());
            assertEquals(0, e.shard());
            assertEquals("proc", e.processor());
            assertEquals(p.id.value(), m.path("job").asText());
            assertEquals(bench.dispatchOf(p.id, m.path("node").asText()), m.path("dispatch").asLong());
            assertEquals(1, bench.redis.xrange(bench.keys.outbox(0), Range.create(e.id(), e.id())).size(), "in the outbox: " + e);
        }
        assertEquals(Map.of("a", "READY", "b", "PENDING", "c", "PENDING", "d", "PENDING", "e", "READY"),
                Map.of("a", p.state("a"), "b", p.state("b"), "c", p.state("c"), "d", p.state("d"), "e", p.state("e")));
        Map<String, String> j = job(p.id);
        assertEquals("5", j.get("total"));
        assertEquals("3", j.get("n:PENDING"));
        assertEquals("2", j.get("n:READY"));
        assertEquals("2", j.get("seq"));
        assertEquals("2", task(p.id, "d").get("np"));
        assertEquals("[\"b\",\"c\"]", task(p.id, "a").get("ch"));
        assertEquals("s", bench.redis.hget(bench.keys.data(p.id), "seed"));
    }

    @Test
    void aBuiltJobWaitsWithAllItsTasksPending() throws Exception {
        Plan p = bench.plan(1).built();
        p.task("a");
        p.task("b", "a");
        OutboxEntry.Reply r = p.submit();
        assertEquals("READY", r.status());
        assertEquals(List.of(), r.dispatched());
        assertEquals("PENDING", p.state("a"));
        assertEquals("2", job(p.id).get("n:PENDING"));
        assertNull(job(p.id).get("started"));
    }

    @Test
    void reusedTasksAreCreatedSuccessfulAndReleaseTheirChildren() throws Exception {
        Plan p = bench.plan(0);
        p.task("a").reusedFrom("oldjob");
        p.task("b", "a");
        p.task("c", "b");
        OutboxEntry.Reply r = p.submit();
        assertEquals("RUNNING", r.status());
        assertEquals(1, r.dispatched().size());
        assertEquals(List.of("SUCCESS", "READY", "PENDING"), List.of(p.state("a"), p.state("b"), p.state("c")));
        Map<String, String> j = job(p.id);
        assertEquals("1", j.get("terminal"));
        assertEquals("1", j.get("succeeded"));
        assertEquals("1", j.get("n:PENDING"));
        assertEquals("1", j.get("n:READY"));
        assertEquals("oldjob", task(p.id, "a").get("reused"));
        assertEquals(Set.of("a"), bench.redis.smembers(bench.keys.job(p.id) + ":sat:b"));
    }

    @Test
    void aJobThatReusesEveryOutputEndsAtOnce() throws Exception {
        Plan p = bench.plan(1);
        p.task("a").reusedFrom("oldjob");
        p.task("b", "a").reusedFrom("oldjob");
        OutboxEntry.Reply r = p.submit();
        assertEquals("SUCCESS", r.status());
        assertEquals(Map.of("SUCCESS", 1), r.ends().jobs());
        assertEquals(List.of(), r.dispatched());
        assertEquals("0", job(p.id).get("n:PENDING"));
    }

    // ------------------------------------------------------------------ claim

    @Test
    void aClaimBatchAnswersEveryAttemptOnItsOwn() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b");
        p.task("c", "a");
        p.task("r").retries(1);
        p.task("s");
        p.submit();
        // r waits for a retry, s has succeeded: their earlier messages are duplicates now
        long dr = bench.dispatchOf(p.id, "r");
        String r1 = bench.claimOne(p.id, "r");
        assertEquals("retry", bench.commitOne(p.id, failed(p.id, "r", r1, Outcome.FAIL, true)).wire());
        long ds = bench.dispatchOf(p.id, "s");
        bench.succeed(p.id, "s");
        // q's task p commits without writing its output: its child m is released with an input that has no value
        Plan q = bench.plan(shard);
        q.task("p");
        q.task("m", "p");
        q.submit();
        String pa = bench.claimOne(q.id, "p");
        assertEquals("ok", bench.commitOne(q.id, new StateGateway.Commit(q.id.value(), "p", pa, Outcome.OK, "", false, Map.of())).wire());
        assertEquals("0,1", bench.releaseAll(shard).status(), "s ended, p released m");
        assertEquals("READY", q.state("m"));

        long da = bench.dispatchOf(p.id, "a");
        long db = bench.dispatchOf(p.id, "b");
        long dm = bench.dispatchOf(q.id, "m");
        JobId gone = ScriptBench.jobIn(shard);
        List<AttemptRef> batch = List.of(
                ref(p.id, "a", da, "A1"),        // claimed
                ref(p.id, "a", da, "A2"),        // the same message twice in one batch: the second is a duplicate
                ref(p.id, "b", db + 7, "B1"),    // a dispatch id that is not the task's current one
                ref(p.id, "c", 0, "C1"),         // still PENDING
                ref(p.id, "nosuch", 1, "N1"),    // no such task
                ref(q.id, "m", dm, "M1"),        // claimed, but its input has no value
                ref(gone, "a", 1, "G1"),         // no such job
                ref(p.id, "r", dr, "R2"),        // waits for a retry: its earlier message
                ref(p.id, "s", ds, "S2"));       // ended
        Checked<List<ClaimReply>> r = bench.check("claim batch", () -> bench.claim(shard, LEASE, batch));

        ClaimReply.Claimed claimed = (ClaimReply.Claimed) r.first().get(0);
        assertEquals(1, claimed.attempt());
        assertEquals(LEASE, claimed.lease());
        assertEquals("{\"p\":1}", text(claimed.params()));
        assertEquals("proc", ScriptBench.JSON.readTree(claimed.spec()).path("processor").asText());
        assertEquals("", claimed.infra());
        assertEquals(List.of("s"), claimed.inputs().stream().map(StateScriptsIT::text).toList());
        assertEquals(List.of(new ClaimReply.Stale("RUNNING"), new ClaimReply.Stale("READY"), new ClaimReply.Stale("PENDING"),
                new ClaimReply.Stale("GONE"), new ClaimReply.MissingInput("x_p", "proc"), new ClaimReply.Stale("GONE"),
                new ClaimReply.Stale("RETRY_WAIT"), new ClaimReply.Stale("SUCCESS")), r.first().subList(1, 9));
        assertEquals(List.of(new ClaimReply.Stale("RUNNING"), new ClaimReply.Stale("RUNNING"), new ClaimReply.Stale("READY"),
                new ClaimReply.Stale("PENDING"), new ClaimReply.Stale("GONE"), new ClaimReply.Stale("RUNNING"), new ClaimReply.Stale("GONE"),
                new ClaimReply.Stale("RETRY_WAIT"), new ClaimReply.Stale("SUCCESS")), r.replay(), "replayed, every attempt is a duplicate");

        Map<String, String> a = task(p.id, "a");
        assertEquals("RUNNING", a.get("state"));
        assertEquals("A1", a.get("attempt"));
        assertEquals(ScriptBench.WORKER, a.get("worker"));
        assertEquals("READY", p.state("b"));
        assertEquals("M1", bench.attemptOf(q.id, "m"));
        assertEquals(Set.of("a"), bench.redis.smembers(bench.keys.running(p.id)));

        // the worker fails an attempt whose input is missing for good
        assertEquals("ended:FAILED", bench.commitOne(q.id, failed(q.id, "m", "M1", Outcome.FAIL, false)).wire());
    }

    // ------------------------------------------------------------------ commit

    @Test
    void aCommitBatchEndsEachAttemptOnItsOwn() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard);
        for (int i = 1; i <= 10; i++) {
            p.task("t" + i);
        }
        p.tasks.get("t2").retries(1);
        p.submit();
        List<AttemptRef> refs = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            if (i != 9) {
                refs.add(ref(p.id, "t" + i, bench.dispatchOf(p.id, "t" + i), "A" + i));
            }
        }
        Checked<List<ClaimReply>> claims = bench.check("claim nine", () -> bench.claim(shard, LEASE, refs));
        assertTrue(claims.first().stream().allMatch(c -> c instanceof ClaimReply.Claimed), claims.first().toString());

        List<StateGateway.Commit> batch = List.of(
                ok(p.id, "t1", "A1"),
                ok(p.id, "t1", "A1"),                                    // the same commit twice in one batch
                failed(p.id, "t2", "A2", Outcome.FAIL, true),             // a retry left
                failed(p.id, "t3", "A3", Outcome.FAIL, false),            // not retryable
                failed(p.id, "t4", "A4", Outcome.TIMEOUT, true),          // retryable, but no retries
                failed(p.id, "t5", "A5", Outcome.INTERRUPTED, false),
                failed(p.id, "t6", "A6", Outcome.HANDBACK, false),        // the worker shuts down
                new StateGateway.Commit(p.id.value(), "t7", "A7", Outcome.REFUSE, "too small", false, Map.of()),
                failed(p.id, "t8", "not-A8", Outcome.FAIL, true),         // an attempt that no longer holds the task
                ok(p.id, "t9", "A9"),                                     // a task nobody claimed
                new StateGateway.Commit(p.id.value(), "t10", "A10", Outcome.OK, "", false,
                        Map.of("x_t1", new StateGateway.Output(bytes("again"), "text/plain")))); // writes t1's output again
        Checked<List<CommitReply>> r = bench.check("commit batch", () -> bench.commit(shard, batch));

        assertEquals(List.of("ok", "fenced", "retry", "ended:FAILED", "ended:TIMED_OUT", "ended:FAILED", "handback", "handback",
                "fenced", "fenced", "ok"), r.first().stream().map(CommitReply::wire).toList());
        assertEquals(List.of("fenced", "fenced", "fenced", "fenced", "fenced", "fenced", "handback", "handback", "fenced", "fenced",
                "fenced"), r.replay().stream().map(CommitReply::wire).toList(), "replayed: only the hand-backs, which change nothing, still hold");

        assertEquals(List.of("SUCCESS", "RETRY_WAIT", "FAILED", "TIMED_OUT", "FAILED", "RUNNING", "RUNNING", "RUNNING", "READY", "SUCCESS"),
                List.of(p.state("t1"), p.state("t2"), p.state("t3"), p.state("t4"), p.state("t5"), p.state("t6"), p.state("t7"),
                        p.state("t8"), p.state("t9"), p.state("t10")));
        assertEquals("out of t1", bench.redis.hget(bench.keys.data(p.id), "x_t1"), "a consumable is written once");
        assertEquals("1", job(p.id).get("rewrites"));
        assertEquals("1", task(p.id, "t6").get("handback"));
        assertEquals("refused", task(p.id, "t7").get("handback"));
        assertEquals("too small", task(p.id, "t7").get("refusal"));
        Map<String, Double> leases = bench.zset(bench.keys.leases(shard));
        assertEquals(0.0, leases.get(Keys.member(p.id, "t6")), "a hand-back's lease is due at once");
        assertEquals(0.0, leases.get(Keys.member(p.id, "t7")));
        assertTrue(bench.zset(bench.keys.timers(shard)).containsKey("r|" + p.id + "|t2"));
        assertEquals(List.of("t1:ok", "t3:fail", "t4:fail", "t5:fail", "t10:ok"),
                events(shard).stream().map(m -> m.getBody().get("n") + ":" + m.getBody().get("o")).toList());
        assertEquals("interrupted of t5", task(p.id, "t5").get("error"));
    }

    // ------------------------------------------------------------------ renew

    @Test
    void aHeartbeatExtendsOnlyTheLeaseOfTheAttemptThatHoldsTheTask() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b");
        p.submit();
        String a = bench.claimOne(p.id, "a");
        String b = bench.claimOne(p.id, "b");
        String leases = bench.keys.leases(shard);
        double before = bench.zset(leases).get(Keys.member(p.id, "a"));

        // a heartbeat is not idempotent by nature (each moves the lease on), so its replay may move the lease
        Checked<Boolean> renewed = bench.check("renew a", () -> bench.renew(p.id, "a", a, Duration.ofMinutes(5)), Set.of(leases));
        assertTrue(renewed.first());
        assertTrue(renewed.replay());
        double after = bench.zset(leases).get(Keys.member(p.id, "a"));
        assertTrue(after >= before + Duration.ofMinutes(4).toMillis(), before + " -> " + after);

        assertFalse(bench.check("renew by another attempt", () -> bench.renew(p.id, "a", "someone-else", LEASE)).first());
        assertEquals("ok", bench.commitOne(p.id, ok(p.id, "b", b)).wire());
        assertFalse(bench.check("renew after the commit", () -> bench.renew(p.id, "b", b, LEASE)).first());
        assertNull(bench.zset(leases).get(Keys.member(p.id, "b")), "a committed attempt's lease is not brought back");
        assertEquals("stopping:1", ScriptBench.said(bench.check("stop", () -> bench.stop(p.id)).first()));
        assertFalse(bench.check("renew while the job stops", () -> bench.renew(p.id, "a", a, LEASE)).first());
        assertEquals(after, bench.zset(leases).get(Keys.member(p.id, "a")));
        assertEquals("RUNNING", p.state("a"));
    }

    // ------------------------------------------------------------------ release

    @Test
    void aReleaseBatchCountsEachTaskOnceAndReleasesOrSkipsItsChildren() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b");
        p.task("f");
        p.task("c", "a", "b");
        p.task("d", "a");
        p.task("g", "f");
        p.task("h", "g");
        p.submit();
        String a = bench.claimOne(p.id, "a");
        String b = bench.claimOne(p.id, "b");
        String f = bench.claimOne(p.id, "f");
        assertEquals("ok", bench.commitOne(p.id, ok(p.id, "a", a)).wire());
        assertEquals("ended:FAILED", bench.commitOne(p.id, failed(p.id, "f", f, Outcome.FAIL, false)).wire());
        // a second copy of a's event (a stream entry written twice) and an event of a job that no longer exists
        String events = bench.keys.events(shard);
        bench.redis.xadd(events, Map.of("j", p.id.value(), "n", "a", "a", a, "o", "ok"));
        bench.redis.xadd(events, Map.of("j", ScriptBench.jobIn(shard).value(), "n", "x", "a", "", "o", "ok"));
        List<StateGateway.Event> read = bench.readEvents(shard);
        assertEquals(List.of("a:ok", "f:fail", "a:ok", "x:ok"), read.stream().map(e -> e.node() + ":" + e.outcome()).toList());
        List<StateGateway.Event> batch = List.of(read.get(0), read.get(0), read.get(1), read.get(2), read.get(3));

        Checked<OutboxEntry.Reply> r = bench.check("release batch", () -> bench.release(shard, batch));
        assertEquals("1,duplicate,0,duplicate,gone", r.first().status());
        assertEquals("duplicate,duplicate,duplicate,duplicate,gone", r.replay().status());
        assertEquals(List.of("d"), r.first().dispatched().stream().map(StateScriptsIT::node).toList());
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "SKIPPED", "upstream_failed", 2)), r.first().ends().tasks());
        assertEquals(List.of("PENDING", "READY", "SKIPPED", "SKIPPED"), List.of(p.state("c"), p.state("d"), p.state("g"), p.state("h")));
        assertEquals("upstream task 'f' did not succeed", task(p.id, "g").get("error"));
        assertEquals(Set.of("a"), bench.redis.smembers(bench.keys.job(p.id) + ":sat:c"));
        assertEquals(0L, bench.redis.xlen(events), "every event of the batch is acknowledged and deleted");
        assertEquals("1", task(p.id, "d").get("releases"));

        // c has two parents: only the last one's event releases it
        assertEquals("ok", bench.commitOne(p.id, ok(p.id, "b", b)).wire());
        assertEquals("1", bench.releaseAll(shard).status());
        assertEquals("READY", p.state("c"));
        bench.succeed(p.id, "c");
        bench.succeed(p.id, "d");
        OutboxEntry.Reply last = bench.releaseAll(shard);
        assertEquals("0,0", last.status());
        assertEquals(Map.of("FAILED", 1), last.ends().jobs());
        Map<String, String> j = job(p.id);
        assertEquals("FAILED", j.get("status"));
        assertEquals(List.of("7", "7", "4", "1", "2"), List.of(j.get("total"), j.get("terminal"), j.get("succeeded"), j.get("failed"),
                j.get("skipped")));
    }

    @Test
    void aJobWhoseTasksAllSucceedEndsSuccessful() throws Exception {
        Plan p = bench.plan(0);
        p.task("a");
        p.task("b", "a");
        p.submit();
        bench.succeed(p.id, "a");
        assertEquals("1", bench.releaseAll(0).status());
        bench.succeed(p.id, "b");
        OutboxEntry.Reply r = bench.releaseAll(0);
        assertEquals(Map.of("SUCCESS", 1), r.ends().jobs());
        assertEquals("SUCCESS", bench.status(p.id));
        assertEquals("out of b", bench.redis.hget(bench.keys.data(p.id), "x_b"));
    }

    // ------------------------------------------------------------------ timer

    @Test
    void aDueRetryTimerDispatchesTheTaskAgain() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a").retries(1);
        p.task("b");
        p.submit();
        String first = bench.claimOne(p.id, "a");
        assertEquals("retry", bench.commitOne(p.id, failed(p.id, "a", first, Outcome.FAIL, true)).wire());
        long before = bench.dispatchOf(p.id, "a");
        String member = "r|" + p.id + "|a";

        Checked<OutboxEntry.Reply> r = bench.check("retry timer", () -> bench.timer(shard, member));
        assertEquals("dispatched", r.first().status());
        assertEquals("gone", r.replay().status());
        assertEquals(1, r.first().dispatched().size());
        assertEquals("READY", p.state("a"));
        assertTrue(bench.dispatchOf(p.id, "a") > before);

        String second = bench.claimOne(p.id, "a");
        assertEquals("2", task(p.id, "a").get("attempts"));
        assertEquals("ended:FAILED", bench.commitOne(p.id, failed(p.id, "a", second, Outcome.FAIL, true)).wire(), "the one retry is used up");

        // a timer left behind for a task that has moved on (the sweeper read it just before it moved)
        bench.redis.zadd(bench.keys.timers(shard), 0, "r|" + p.id + "|b");
        Checked<OutboxEntry.Reply> stale = bench.check("stale retry timer", () -> bench.timer(shard, "r|" + p.id + "|b"));
        assertEquals("stale", stale.first().status());
        assertEquals("READY", p.state("b"));
        assertEquals("gone", bench.check("timer already fired", () -> bench.timer(shard, "r|" + p.id + "|zz")).first().status());
    }

    @Test
    void aQueueTimeoutEndsATaskNobodyClaimed() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard);
        p.task("a").queueTimeout(60_000);
        p.task("b").queueTimeout(60_000);
        p.submit();
        String qa = "q|" + p.id + "|a|" + bench.dispatchOf(p.id, "a");
        long db = bench.dispatchOf(p.id, "b");
        assertTrue(bench.zset(bench.keys.timers(shard)).containsKey(qa));

        Checked<OutboxEntry.Reply> r = bench.check("queue timeout", () -> bench.timer(shard, qa));
        assertEquals("timedout", r.first().status());
        assertEquals("gone", r.replay().status());
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "TIMED_OUT", "queue_timeout", 1)), r.first().ends().tasks());
        assertEquals("TIMED_OUT", p.state("a"));
        assertTrue(task(p.id, "a").get("error").contains("queueTimeout (60000 ms)"));
        assertEquals("fail", events(shard).get(0).getBody().get("o"));

        bench.claimOne(p.id, "b");
        assertFalse(bench.zset(bench.keys.timers(shard)).containsKey("q|" + p.id + "|b|" + db), "a claim ends the queue timeout");
        // a queue timeout the sweeper read just before the claim
        String qb = "q|" + p.id + "|b|" + db;
        bench.redis.zadd(bench.keys.timers(shard), 0, qb);
        assertEquals("stale", bench.check("stale queue timeout", () -> bench.timer(shard, qb)).first().status());
        assertEquals("RUNNING", p.state("b"));
    }

    @Test
    void anAttemptTimeoutRetriesThenEndsTheTaskAndFencesTheLateCommit() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a").timeout(60_000).retries(1);
        p.task("b").timeout(60_000);
        p.submit();
        String first = bench.claimOne(p.id, "a");
        String member = "a|" + p.id + "|a|" + first;
        assertTrue(bench.zset(bench.keys.timers(shard)).containsKey(member));

        Checked<OutboxEntry.Reply> r = bench.check("attempt timeout", () -> bench.timer(shard, member));
        assertEquals("timedout", r.first().status());
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "retry", "attempt_timeout", 1)), r.first().ends().tasks());
        assertEquals("RETRY_WAIT", p.state("a"));
        assertEquals("dispatched", bench.check("retry", () -> bench.timer(shard, "r|" + p.id + "|a")).first().status());
        String second = bench.claimOne(p.id, "a");
        Checked<OutboxEntry.Reply> again = bench.check("attempt timeout again", () -> bench.timer(shard, "a|" + p.id + "|a|" + second));
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "TIMED_OUT", "attempt_timeout", 1)), again.first().ends().tasks());
        assertEquals("TIMED_OUT", p.state("a"));
        assertEquals("fenced", bench.commitOne(p.id, ok(p.id, "a", first)).wire(), "the first attempt's late result");
        assertEquals("fenced", bench.commitOne(p.id, ok(p.id, "a", second)).wire());
        assertNull(bench.redis.hget(bench.keys.data(p.id), "x_a"));

        String b = bench.claimOne(p.id, "b");
        String wrong = "a|" + p.id + "|b|not-" + b;
        bench.redis.zadd(bench.keys.timers(shard), 0, wrong); // an earlier attempt's timer, left behind
        assertEquals("stale", bench.check("stale attempt timeout", () -> bench.timer(shard, wrong)).first().status());
        assertEquals("RUNNING", p.state("b"));
    }

    @Test
    void aLaterChunkDispatchesWhatItsParentsAllowSkipsBelowAFailureAndEndsTheBuilding() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("f");
        // written later, after their parents ended; the first chunk's tasks name them as children, as JobSubmitter's do
        List<ScriptBench.Task> later = List.of(p.task("b", "a"), p.task("s", "f"), p.task("c"));
        later.forEach(t -> p.later.add(t.node));
        p.more = true;
        p.submit();
        String a = bench.claimOne(p.id, "a");
        assertEquals("ok", bench.commitOne(p.id, ok(p.id, "a", a)).wire());
        String f = bench.claimOne(p.id, "f");
        assertEquals("ended:FAILED", bench.commitOne(p.id, failed(p.id, "f", f, Outcome.FAIL, false)).wire());
        bench.releaseAll(shard);
        assertEquals("RUNNING", bench.status(p.id), "the job waits for its unwritten tasks");

        // b (after a) runs at once, s (after f) is skipped, c has no parent
        Checked<OutboxEntry.Reply> r = p.chunk(later, true);
        assertEquals("written", r.first().status());
        assertEquals("gone", r.replay().status(), "a job no longer being built takes no chunk");
        assertEquals(List.of("READY", "SKIPPED", "READY"), List.of(p.state("b"), p.state("s"), p.state("c")));
        assertEquals(2, r.first().dispatched().size(), "b and c dispatched as they were written");
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "SKIPPED", "upstream_failed", 1)), r.first().ends().tasks());
        assertEquals(null, job(p.id).get("building"));
        assertFalse(bench.zset(bench.keys.timers(shard)).containsKey("b|" + p.id), "the build timer is gone");

        for (String node : List.of("b", "c")) {
            String attempt = bench.claimOne(p.id, node);
            assertEquals("ok", bench.commitOne(p.id, ok(p.id, node, attempt)).wire());
        }
        bench.releaseAll(shard);
        assertEquals("FAILED", bench.status(p.id));
        assertEquals("5", job(p.id).get("terminal"));
    }

    @Test
    void aChunkWrittenIntoAStoppedJobCancelsItsTasks() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard);
        p.task("a");
        ScriptBench.Task b = p.task("b", "a");
        p.later.add("b");
        p.more = true;
        p.submit();
        bench.check("cancel", () -> bench.stop(p.id));
        assertEquals("CANCELLING", bench.status(p.id), "a job being built ends only when its tasks are all written");
        Checked<OutboxEntry.Reply> r = p.chunk(List.of(b), true);
        assertEquals("written", r.first().status());
        assertEquals("CANCELLED", p.state("b"));
        assertEquals(Map.of("CANCELLED", 1), r.first().ends().jobs(), "its last task counted ends the job");
        assertEquals("CANCELLED", bench.status(p.id));
    }

    @Test
    void aJobWhoseLaterChunksNeverCameIsFailedByItsBuildTimer() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b", "a");
        p.more = true;
        p.unwritten = 5; // the writer died before its next chunk
        p.submit();
        String timer = "b|" + p.id;
        assertTrue(bench.zset(bench.keys.timers(shard)).containsKey(timer), "a building job has a build timer");
        String a = bench.claimOne(p.id, "a");

        Checked<OutboxEntry.Reply> r = bench.check("build timer", () -> bench.timer(shard, timer));
        assertEquals("stopping", r.first().status());
        assertEquals("gone", r.replay().status());
        Map<String, String> j = job(p.id);
        assertEquals("CANCELLING", j.get("status"));
        assertEquals("2", j.get("total"), "the job is as big as what was written");
        assertTrue(j.get("reason").contains("submission interrupted: 2 of 7 tasks were written"), j.get("reason"));
        assertEquals(List.of("RUNNING", "CANCELLED"), List.of(p.state("a"), p.state("b")));
        assertEquals("ended:CANCELLED", bench.commitOne(p.id, failed(p.id, "a", a, Outcome.INTERRUPTED, true)).wire());
        bench.releaseAll(shard);
        assertEquals("FAILED", bench.status(p.id), "an interrupted submission fails its job");
    }

    @Test
    void aJobDeadlineStopsTheJobAndItsRunningTaskEndsTimedOut() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard).deadline(60_000);
        p.task("x");
        p.task("y");
        p.task("z", "x");
        p.task("w").retries(1);
        p.submit();
        String d = "d|" + p.id;
        assertTrue(bench.zset(bench.keys.timers(shard)).containsKey(d));
        String x = bench.claimOne(p.id, "x");
        String w = bench.claimOne(p.id, "w");
        assertEquals("retry", bench.commitOne(p.id, failed(p.id, "w", w, Outcome.FAIL, true)).wire());

        Checked<OutboxEntry.Reply> r = bench.check("deadline", () -> bench.timer(shard, d));
        assertEquals("stopping", r.first().status());
        assertEquals("gone", r.replay().status());
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "CANCELLED", "deadline", 3)), r.first().ends().tasks());
        assertEquals(List.of("RUNNING", "CANCELLED", "CANCELLED", "CANCELLED"), List.of(p.state("x"), p.state("y"), p.state("z"), p.state("w")));
        Map<String, String> j = job(p.id);
        assertEquals("CANCELLING", j.get("status"));
        assertEquals("FAILED", j.get("endAs"));
        assertEquals("TIMED_OUT", j.get("stopAs"));

        assertEquals("ended:TIMED_OUT", bench.commitOne(p.id, failed(p.id, "x", x, Outcome.INTERRUPTED, true)).wire(),
                "a stopped job's attempt ends as the stop says, with no retry");
        OutboxEntry.Reply end = bench.releaseAll(shard);
        assertEquals(Map.of("FAILED", 1), end.ends().jobs());
        assertEquals("FAILED", bench.status(p.id));
        assertFalse(bench.zset(bench.keys.timers(shard)).containsKey(d));
    }

    // ------------------------------------------------------------------ expire

    @Test
    void anExpiredLeaseDispatchesTheTaskAgainUntilTooManyAreLost() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b");
        p.task("c");
        p.submit();
        bench.claimOne(p.id, "a", Duration.ofMillis(1));
        String b = bench.claimOne(p.id, "b");
        bench.claimOne(p.id, "c", Duration.ofMillis(1));
        long before = bench.dispatchOf(p.id, "a");
        Thread.sleep(10);

        Checked<OutboxEntry.Reply> r = bench.check("expire a", () -> bench.expire(p.id, "a", 3));
        assertEquals("redispatched", r.first().status());
        assertEquals("alive", r.replay().status(), "the lease is gone: nothing to expire twice");
        assertEquals(1, r.first().dispatched().size());
        Map<String, String> a = task(p.id, "a");
        assertEquals("READY", a.get("state"));
        assertEquals("1", a.get("lost"));
        assertEquals("lease expired: worker 'bench-worker' stopped heartbeating", a.get("error"));
        assertTrue(bench.dispatchOf(p.id, "a") > before);

        assertEquals("alive", bench.check("expire b", () -> bench.expire(p.id, "b", 3)).first().status());
        assertEquals(b, bench.attemptOf(p.id, "b"));

        Checked<OutboxEntry.Reply> lost = bench.check("expire c, no lost lease allowed", () -> bench.expire(p.id, "c", 0));
        assertEquals("ended", lost.first().status());
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "FAILED", "lease_lost", 1)), lost.first().ends().tasks());
        assertEquals("FAILED", p.state("c"));
        assertTrue(task(p.id, "c").get("error").endsWith("(1 times)"), task(p.id, "c").get("error"));

        // a lease left for a task that moved on (the sweeper read it just before)
        bench.redis.zadd(bench.keys.leases(shard), 0, Keys.member(p.id, "a"));
        assertEquals("stale", bench.check("stale lease", () -> bench.expire(p.id, "a", 3)).first().status());
        assertEquals("READY", p.state("a"));
    }

    @Test
    void aHandBackIsDispatchedAgainWithoutCountingAsALostLease() throws Exception {
        Plan p = bench.plan(1);
        p.task("a");
        p.submit();
        String a = bench.claimOne(p.id, "a");
        assertEquals("handback", bench.commitOne(p.id, failed(p.id, "a", a, Outcome.HANDBACK, false)).wire());
        Checked<OutboxEntry.Reply> r = bench.check("expire hand-back", () -> bench.expire(p.id, "a", 0));
        assertEquals("redispatched", r.first().status());
        Map<String, String> t = task(p.id, "a");
        assertEquals("READY", t.get("state"));
        assertEquals("1", t.get("handbacks"));
        assertEquals("0", t.get("lost"));
        assertNull(t.get("handback"));
        assertEquals("handed back by worker 'bench-worker' at shutdown", t.get("error"));
    }

    @Test
    void aTaskRefusedTwentyTimesFails() throws Exception {
        Plan p = bench.plan(0);
        p.task("a");
        p.submit();
        for (int round = 1; round <= 20; round++) {
            String attempt = bench.claimOne(p.id, "a");
            assertEquals("handback", bench.commitOne(p.id, new StateGateway.Commit(p.id.value(), "a", attempt, Outcome.REFUSE,
                    "worker offers cpu 1", false, Map.of())).wire());
            Checked<OutboxEntry.Reply> r = bench.check("expire refusal " + round, () -> bench.expire(p.id, "a", 3));
            assertEquals(round < 20 ? "redispatched" : "ended", r.first().status(), "round " + round);
        }
        Map<String, String> t = task(p.id, "a");
        assertEquals("FAILED", t.get("state"));
        assertEquals("20", t.get("refusals"));
        assertTrue(t.get("error").contains("refused 20 times"), t.get("error"));
    }

    @Test
    void anAttemptTimeoutDueBeforeTheLeaseRanOutIsATimeout() throws Exception {
        Plan p = bench.plan(1);
        p.task("a").timeout(1).retries(1);
        p.submit();
        bench.claimOne(p.id, "a", Duration.ofMillis(1));
        Thread.sleep(10);
        Checked<OutboxEntry.Reply> r = bench.check("expire after the attempt timeout", () -> bench.expire(p.id, "a", 3));
        assertEquals("timedout", r.first().status());
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "retry", "attempt_timeout", 1)), r.first().ends().tasks());
        assertEquals("RETRY_WAIT", p.state("a"));
        assertEquals("0", task(p.id, "a").get("lost"));
    }

    @Test
    void aLeaseLostWhileTheJobStopsCancelsTheTask() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b", "a");
        p.submit();
        bench.claimOne(p.id, "a", Duration.ofMillis(1));
        assertEquals("stopping:1", ScriptBench.said(bench.check("stop", () -> bench.stop(p.id)).first()));
        Thread.sleep(10);
        Checked<OutboxEntry.Reply> r = bench.check("expire while stopping", () -> bench.expire(p.id, "a", 3));
        assertEquals("ended", r.first().status());
        assertEquals("CANCELLED", p.state("a"));
        assertEquals("cancel", events(shard).get(0).getBody().get("o"));
        assertEquals(Map.of("CANCELLED", 1), bench.releaseAll(shard).ends().jobs());
        assertEquals("CANCELLED", bench.status(p.id));
    }

    // ------------------------------------------------------------------ stop

    @Test
    void stoppingARunningJobCancelsEveryTaskThatIsNotRunningAndFreesItsSlots() throws Exception {
        String lim = "lim-stop";
        assertEquals("ok", bench.check("limit", () -> bench.limit("processor", lim, "1")).first().status());
        Plan other = bench.plan(1);
        Plan p = bench.plan(0);
        p.task("r1");
        p.task("q1");
        p.task("w1").retries(1);
        p.task("p1", "r1");
        p.task("s1");
        p.task("l1").processor(lim);
        p.task("l2").processor(lim);
        p.submit();
        other.task("k1").processor(lim);
        other.submit();
        assertEquals(List.of("READY", "READY", "READY"), List.of(p.state("l1"), p.state("l2"), other.state("k1")));
        assertEquals("1", task(p.id, "l2").get("held"));
        assertEquals("1", task(other.id, "k1").get("held"));
        String r1 = bench.claimOne(p.id, "r1");
        String w1 = bench.claimOne(p.id, "w1");
        assertEquals("retry", bench.commitOne(p.id, failed(p.id, "w1", w1, Outcome.FAIL, true)).wire());
        bench.succeed(p.id, "s1");
        bench.releaseAll(0);

        Checked<StateGateway.Stopped> r = bench.check("stop", () -> bench.stop(p.id));
        assertEquals("stopping:1", ScriptBench.said(r.first()));
        assertEquals("CANCELLING:0", ScriptBench.said(r.replay()));
        assertEquals(List.of(new OutboxEntry.TaskEnd("default", "CANCELLED", "cancelled", 5)), r.first().reply().ends().tasks());
        assertEquals(1, r.first().reply().dispatched().size(), "the freed slot went to the held task of another job");
        OutboxEntry k1 = r.first().reply().dispatched().get(0);
        assertEquals(1, k1.shard());
        assertEquals("k1", node(k1));
        assertEquals(List.of("RUNNING", "CANCELLED", "CANCELLED", "CANCELLED", "SUCCESS", "CANCELLED", "CANCELLED"),
                List.of(p.state("r1"), p.state("q1"), p.state("w1"), p.state("p1"), p.state("s1"), p.state("l1"), p.state("l2")));
        assertEquals("READY", other.state("k1"));
        assertNull(task(other.id, "k1").get("held"));
        assertEquals(Set.of("1|" + other.id + "|k1"), bench.redis.smembers(bench.keys.slots("processor", lim)));
        assertEquals(0L, bench.redis.zcard(bench.keys.held("processor", lim)));
        Map<String, String> j = job(p.id);
        assertEquals("CANCELLING", j.get("status"));
        assertEquals("cancelled by request", j.get("reason"));

        assertEquals("ended:CANCELLED", bench.commitOne(p.id, failed(p.id, "r1", r1, Outcome.INTERRUPTED, true)).wire());
        OutboxEntry.Reply end = bench.releaseAll(0);
        assertEquals(Map.of("CANCELLED", 1), end.ends().jobs());
        assertEquals("CANCELLED", bench.status(p.id));
        assertEquals("ok", bench.check("no limit", () -> bench.limit("processor", lim, "")).first().status());
    }

    @Test
    void stoppingAJobThatRunsNothingEndsItAtOnce() throws Exception {
        Plan built = bench.plan(1).built();
        built.task("a");
        built.task("b", "a");
        built.submit();
        Checked<StateGateway.Stopped> r = bench.check("stop built", () -> bench.stop(built.id));
        assertEquals("stopping:0", ScriptBench.said(r.first()));
        assertEquals("CANCELLED:0", ScriptBench.said(r.replay()));
        assertEquals(Map.of("CANCELLED", 1), r.first().reply().ends().jobs());
        assertEquals(List.of("CANCELLED", "CANCELLED"), List.of(built.state("a"), built.state("b")));

        Plan done = bench.plan(1);
        done.task("a");
        done.submit();
        bench.succeed(done.id, "a");
        bench.releaseAll(1);
        assertEquals("SUCCESS:0", ScriptBench.said(bench.check("stop ended", () -> bench.stop(done.id)).first()));
        assertEquals("gone:0", ScriptBench.said(bench.check("stop gone", () -> bench.stop(ScriptBench.jobIn(1))).first()));
    }

    @Test
    void stoppingAJobThatWaitsForItsPipelinesLimitEndsIt() throws Exception {
        String pipeline = "pl-stop";
        bench.check("limit", () -> bench.limit("pipeline", pipeline, "1"));
        Plan first = bench.plan(0).pipeline(pipeline);
        first.task("a");
        assertEquals("RUNNING", first.submit().status());
        Plan waiting = bench.plan(1).pipeline(pipeline);
        waiting.task("a");
        assertEquals("PENDING", waiting.submit().status());
        assertEquals(1L, bench.redis.zcard(bench.keys.held("pipeline", pipeline)));

        Checked<StateGateway.Stopped> r = bench.check("stop pending", () -> bench.stop(waiting.id));
        assertEquals("stopping:0", ScriptBench.said(r.first()));
        assertEquals("CANCELLED", bench.status(waiting.id));
        assertEquals(0L, bench.redis.zcard(bench.keys.held("pipeline", pipeline)));
        assertEquals("stopping:0", ScriptBench.said(bench.check("stop first", () -> bench.stop(first.id)).first()));
        assertEquals(0L, bench.redis.scard(bench.keys.slots("pipeline", pipeline)));
        bench.check("no limit", () -> bench.limit("pipeline", pipeline, ""));
    }

    // ------------------------------------------------------------------ poison

    @Test
    void aDeadLetteredMessageFailsTheTaskOnlyWhileItIsTheCurrentDispatch() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b");
        p.task("c");
        p.submit();
        long da = bench.dispatchOf(p.id, "a");
        Checked<StateGateway.Poisoned> r = bench.check("poison", () -> bench.poison(p.id, "a", da));
        assertEquals(StateGateway.Poisoned.FAILED, r.first());
        assertEquals(StateGateway.Poisoned.STALE, r.replay());
        assertEquals("FAILED", p.state("a"));
        assertEquals("task message dead-lettered: bench", task(p.id, "a").get("error"));
        assertEquals("fail", events(shard).get(0).getBody().get("o"));

        long db = bench.dispatchOf(p.id, "b");
        assertEquals(StateGateway.Poisoned.STALE, bench.check("poison old dispatch", () -> bench.poison(p.id, "b", db - 1)).first());
        long dc = bench.dispatchOf(p.id, "c");
        bench.claimOne(p.id, "c");
        assertEquals(StateGateway.Poisoned.STALE, bench.check("poison claimed", () -> bench.poison(p.id, "c", dc)).first());
        assertEquals(List.of("READY", "RUNNING"), List.of(p.state("b"), p.state("c")));
    }

    // ------------------------------------------------------------------ requeue

    @Test
    void aStuckMessageIsPublishedAgainWithTheSameDispatchId() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b");
        p.task("c");
        OutboxEntry.Reply submitted = p.submit();
        String queued = bench.keys.queued(shard, "default");
        long since = bench.zset(queued).get(Keys.member(p.id, "a")).longValue();
        Thread.sleep(3);

        Checked<OutboxEntry.Reply> r = bench.check("requeue", () -> bench.requeue(p.id, "a", "default", since));
        assertEquals("requeued", r.first().status());
        assertEquals("fresh", r.replay().status(), "published again just now: no longer stuck");
        assertEquals(1, r.first().dispatched().size());
        assertEquals(submitted.dispatched().get(0).message(), r.first().dispatched().get(0).message(), "the same message, the same dispatch id");
        assertEquals("1", task(p.id, "a").get("requeued"));
        assertTrue(bench.zset(queued).get(Keys.member(p.id, "a")) > since);

        long sinceB = bench.zset(queued).get(Keys.member(p.id, "b")).longValue();
        assertEquals("fresh", bench.check("requeue fresh", () -> bench.requeue(p.id, "b", "default", sinceB - 1)).first().status());
        bench.claimOne(p.id, "c");
        // the stuck-task loop read c's entry just before the claim removed it
        assertEquals("stale", bench.check("requeue claimed", () -> bench.requeue(p.id, "c", "default", Long.MAX_VALUE / 2)).first().status());
    }

    // ------------------------------------------------------------------ limits

    @Test
    void aProcessorLimitHoldsTasksAndItsSlotsGoToThemInTurn() throws Exception {
        int shard = 0;
        String lim = "lim-a";
        bench.check("limit 1", () -> bench.limit("processor", lim, "1"));
        Plan p = bench.plan(shard);
        p.task("t1").processor(lim);
        p.task("t2").processor(lim);
        p.task("t3").processor(lim);
        assertEquals(1, p.submit().dispatched().size());
        assertEquals("3", job(p.id).get("n:READY"), "held tasks are READY too");
        assertEquals(List.of("1", "1"), List.of(task(p.id, "t2").get("held"), task(p.id, "t3").get("held")));
        assertNull(task(p.id, "t2").get("dispatch"), "nothing was published for a held task");

        Checked<OutboxEntry.Reply> raised = bench.check("limit 2", () -> bench.limit("processor", lim, "2"));
        assertEquals("ok", raised.first().status());
        assertEquals(1, raised.first().dispatched().size());
        assertEquals("t2", node(raised.first().dispatched().get(0)));
        assertEquals(0, raised.replay().dispatched().size());

        bench.succeed(p.id, "t1");
        OutboxEntry.Reply released = bench.releaseAll(shard);
        assertEquals(1, released.dispatched().size(), "t1's end frees its slot for t3");
        assertEquals("t3", node(released.dispatched().get(0)));
        assertNull(task(p.id, "t3").get("held"));

        Checked<OutboxEntry.Reply> removed = bench.check("no limit", () -> bench.limit("processor", lim, ""));
        assertEquals(0, removed.first().dispatched().size());
        assertEquals(0L, bench.redis.exists(bench.keys.slots("processor", lim)));
        assertNull(bench.redis.hget(bench.keys.limits(), "processor:" + lim));
    }

    @Test
    void aSlotHandOverCutShortIsRepairedByTheSweep() throws Exception {
        int shard = 0;
        String lim = "lim-repair";
        bench.check("limit 1", () -> bench.limit("processor", lim, "1"));
        Plan p = bench.plan(shard);
        p.task("t1").processor(lim);
        p.task("t2").processor(lim);
        assertEquals(1, p.submit().dispatched().size());
        String t2 = shard + "|" + p.id + "|t2";
        assertEquals(1L, bench.redis.zcard(bench.keys.held("processor", lim)));
        // t2's request never reached {limits}, and t1's end never gave its slot back: the caller died each time
        bench.redis.zrem(bench.keys.held("processor", lim), t2);
        bench.succeed(p.id, "t1");
        OutboxEntry.Reply ended = bench.releaseUnsettled(shard);
        assertEquals(List.of(SlotRequest.giveBack("processor", lim, shard + "|" + p.id + "|t1")), ended.slots());

        OutboxEntry.Reply asked = bench.gateway.askAgain(shard, Long.MAX_VALUE / 2, 100);
        assertEquals(0, asked.dispatched().size(), "t1 still holds the only slot");
        assertEquals(Set.of(t2), Set.copyOf(bench.redis.zrange(bench.keys.held("processor", lim), 0, -1)));

        List<SlotRequest> slots = bench.redis.smembers(bench.keys.slots("processor", lim)).stream()
                .map(m -> SlotRequest.giveBack("processor", lim, m)).toList();
        OutboxEntry.Reply checked = bench.gateway.checkSlots(shard, slots);
        assertEquals("1", checked.status(), "t1 ended: its slot goes back");
        assertEquals(List.of("t2"), checked.dispatched().stream().map(StateScriptsIT::node).toList());
        assertEquals(Set.of(t2), bench.redis.smembers(bench.keys.slots("processor", lim)));
        assertEquals("1", task(p.id, "t2").get("slot"));

        assertEquals("0", bench.gateway.checkSlots(shard, List.of(SlotRequest.giveBack("processor", lim, t2))).status(), "t2 holds it");
        assertEquals(0, bench.gateway.askAgain(shard, Long.MAX_VALUE / 2, 100).dispatched().size());
        assertEquals(0L, bench.redis.zcard(bench.keys.slotWaits(shard)), "nothing of the shard waits any more");
        bench.check("no limit", () -> bench.limit("processor", lim, ""));
    }

    @Test
    void limitsKeptTheOldWayMoveToTheirSlotWithWhatWaited() throws Exception {
        String ns = bench.keys.namespace();
        Plan p = bench.plan(1);
        p.task("a");
        p.submit();
        bench.redis.hset(ns + ":limits", "processor:old-lim", "2");
        bench.redis.zadd(ns + ":held:processor:old-lim", 5, "1|" + p.id + "|a");
        bench.redis.sadd(ns + ":slots:processor:old-lim", "0|gone|x");

        assertEquals(1, LimitsUpgrade.run(bench.keys, bench.async, bench.gateway));
        assertEquals("2", bench.redis.hget(bench.keys.limits(), "processor:old-lim"));
        for (int shard = 0; shard < bench.keys.shards(); shard++) {
            assertEquals("2", bench.redis.hget(bench.keys.limited(shard), "processor:old-lim"), "shard " + shard + "'s copy");
        }
        assertEquals(0L, bench.redis.exists(ns + ":limits", ns + ":held:processor:old-lim", ns + ":slots:processor:old-lim"));
        assertEquals(0.0, bench.redis.zscore(bench.keys.slotWaits(1), "t|" + p.id + "|a"), "the waiting task waits in its shard");
        assertEquals(0, LimitsUpgrade.run(bench.keys, bench.async, bench.gateway), "a second run finds nothing to move");
        bench.redis.del(bench.keys.slotWaits(1));
        bench.check("no limit", () -> bench.limit("processor", "old-lim", ""));
    }

    @Test
    void aPipelineLimitKeepsJobsPendingUntilASlotFrees() throws Exception {
        String pipeline = "pl-lim";
        bench.check("limit 1", () -> bench.limit("pipeline", pipeline, "1"));
        Plan j1 = bench.plan(0).pipeline(pipeline);
        j1.task("a");
        Plan j2 = bench.plan(1).pipeline(pipeline);
        j2.task("a");
        Plan j3 = bench.plan(0).pipeline(pipeline);
        j3.task("a");
        assertEquals("RUNNING", j1.submit().status());
        assertEquals("PENDING", j2.submit().status());
        assertEquals("PENDING", j3.submit().status());
        assertEquals("PENDING", j2.state("a"));

        Checked<OutboxEntry.Reply> raised = bench.check("limit 2", () -> bench.limit("pipeline", pipeline, "2"));
        assertEquals(1, raised.first().dispatched().size(), "j2 starts: its first task is dispatched");
        assertEquals("RUNNING", bench.status(j2.id));
        assertEquals("PENDING", bench.status(j3.id));

        bench.succeed(j1.id, "a");
        OutboxEntry.Reply end = bench.releaseAll(0);
        assertEquals(Map.of("SUCCESS", 1), end.ends().jobs());
        assertEquals(1, end.dispatched().size(), "j1's end starts j3");
        assertEquals("RUNNING", bench.status(j3.id));
        bench.check("no limit", () -> bench.limit("pipeline", pipeline, ""));
    }


    /**
     * A task held by a processor limit after an attempt (a retry, a lost lease) has no message out.
     * It used to keep its earlier attempt's dispatch id, so a copy of that earlier message (a
     * redelivery, or the outbox relay republishing the entry of a caller that crashed before the
     * confirm: the relay republishes while the task is READY with that id) claimed the held task
     * past the limit, and a dead-lettered copy failed it. A held task gets a new dispatch id when a
     * slot frees; until then no message matches it.
     */
    @Test
    void aHeldTaskCannotBeClaimedWithTheMessageOfItsEarlierDispatch() throws Exception {
        int shard = 0;
        String lim = "lim-held";
        Plan p = bench.plan(shard);
        p.task("a").processor(lim).retries(1);
        p.submit();
        long first = bench.dispatchOf(p.id, "a");
        String attempt = bench.claimOne(p.id, "a");
        // the limit comes while a runs (the admin API takes it at any time): a holds no slot of it
        bench.check("limit", () -> bench.limit("processor", lim, "1"));
        Plan other = bench.plan(shard);
        other.task("b").processor(lim);
        assertEquals(1, other.submit().dispatched().size(), "b takes the one slot");
        assertEquals("retry", bench.commitOne(p.id, failed(p.id, "a", attempt, Outcome.FAIL, true)).wire());
        assertEquals("dispatched", bench.check("retry", () -> bench.timer(shard, "r|" + p.id + "|a")).first().status());
        assertEquals("1", task(p.id, "a").get("held"), "over the limit, the retry waits held");
        assertNull(task(p.id, "a").get("dispatch"), "no dispatch id the outbox relay or a worker could match");

        Checked<List<ClaimReply>> late = bench.check("claim with the earlier message",
                () -> bench.claim(shard, LEASE, List.of(ref(p.id, "a", first, "late"))));
        assertEquals(List.of(new ClaimReply.Stale("READY")), late.first());
        assertEquals(StateGateway.Poisoned.STALE, bench.check("dead letter of the earlier message", () -> bench.poison(p.id, "a", first)).first());
        assertEquals("READY", p.state("a"));

        // b's end frees the slot: a is dispatched afresh and claimed with its new message
        bench.succeed(other.id, "b");
        OutboxEntry.Reply released = bench.releaseAll(shard);
        assertEquals(1, released.dispatched().size());
        assertTrue(bench.dispatchOf(p.id, "a") > first);
        bench.claimOne(p.id, "a");
        bench.check("no limit", () -> bench.limit("processor", lim, ""));
    }

    // ------------------------------------------------------------------ start

    @Test
    void startingABuiltJobDispatchesItsFirstTasksOnce() throws Exception {
        Plan p = bench.plan(1).built();
        p.task("a");
        p.task("b", "a");
        p.task("c");
        p.submit();
        Checked<OutboxEntry.Reply> r = bench.check("start", () -> bench.start(p.id));
        assertEquals("started", r.first().status());
        assertEquals("RUNNING", r.replay().status());
        assertEquals(2, r.first().dispatched().size());
        assertEquals(List.of("READY", "PENDING", "READY"), List.of(p.state("a"), p.state("b"), p.state("c")));
        assertTrue(job(p.id).get("started") != null);

        assertEquals("gone", bench.check("start gone", () -> bench.start(ScriptBench.jobIn(1))).first().status());
        Plan cancelled = bench.plan(1).built();
        cancelled.task("a");
        cancelled.submit();
        bench.check("stop", () -> bench.stop(cancelled.id));
        assertEquals("CANCELLED", bench.check("start cancelled", () -> bench.start(cancelled.id)).first().status());
    }

    @Test
    void startingABuiltJobThatReusesEverythingEndsIt() throws Exception {
        Plan p = bench.plan(0).built();
        p.task("a").reusedFrom("oldjob");
        assertEquals("READY", p.submit().status());
        Checked<OutboxEntry.Reply> r = bench.check("start", () -> bench.start(p.id));
        assertEquals("started", r.first().status());
        assertEquals(Map.of("SUCCESS", 1), r.first().ends().jobs());
        assertEquals("SUCCESS", r.replay().status());
    }

    @Test
    void startingABuiltJobOverItsPipelinesLimitLeavesItPending() throws Exception {
        String pipeline = "pl-start";
        bench.check("limit", () -> bench.limit("pipeline", pipeline, "1"));
        Plan running = bench.plan(0).pipeline(pipeline);
        running.task("a");
        running.submit();
        Plan p = bench.plan(0).pipeline(pipeline).built();
        p.task("a");
        p.submit();
        Checked<OutboxEntry.Reply> r = bench.check("start", () -> bench.start(p.id));
        assertEquals("started", r.first().status());
        assertEquals("PENDING", r.replay().status());
        assertEquals(0, r.first().dispatched().size());
        assertEquals("PENDING", bench.status(p.id));
        bench.check("no limit", () -> bench.limit("pipeline", pipeline, ""));
        assertEquals("RUNNING", bench.status(p.id), "removing the limit starts it");
    }
}
