package dev.pipewright.it.scripts;

import dev.pipewright.infra.redis.Script;
import dev.pipewright.infra.state.ClaimReply;
import dev.pipewright.infra.state.CommitReply;
import dev.pipewright.infra.state.StateGateway.Outcome;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.it.scripts.ScriptBench.Plan;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.state.TaskState;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.pipewright.it.scripts.ScriptBench.LEASE;
import static dev.pipewright.it.scripts.ScriptBench.failed;
import static dev.pipewright.it.scripts.ScriptBench.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A transition outside TaskState.ALLOWED fails inside Redis, in lib.lua's set_state, and the
 * caller gets a Redis error. The scripts check a task's state before they move it, so no ordinary
 * call reaches a refused transition: the first test calls set_state directly, the others show the
 * checks answering for a task put in an ended state by hand, and a script path whose input a
 * bad write can corrupt (a job's stopAs) running into the refusal.
 */
class IllegalTransitionIT {
    private static final Set<TaskState> COUNTED = Set.of(TaskState.PENDING, TaskState.READY, TaskState.RUNNING, TaskState.RETRY_WAIT);

    private ScriptBench bench;

    @BeforeEach
    void open() {
        bench = new ScriptBench();
    }

    @AfterEach
    void close() {
        bench.close();
    }

    private static String libLua() throws Exception {
        try (InputStream in = Script.class.getResourceAsStream("/dev/pipewright/infra/lua/lib.lua")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * lib.lua loaded in Redis as a library of its own (a unique name, deleted afterwards) with one
     * function that calls set_state as the scripts do, between begin_call and end_call; the state
     * it moves from is read by set_state itself. Every pair of states is tried: the 81 answers are
     * the Lua table at work, compared with TaskState.ALLOWED.
     */
    @Test
    void setStateRefusesEveryTransitionOutsideTheTable() throws Exception {
        String lib = "pwtest_" + UUID.randomUUID().toString().replace("-", "");
        String fn = lib + "_set_state";
        bench.redis.functionLoad("#!lua name=" + lib + "\n" + libLua() + "\n"
                + "redis.register_function('" + fn + "', function(KEYS, ARGV)\n"
                + "  begin_call()\n"
                + "  set_state(KEYS[1], ARGV[1], nil, ARGV[2])\n"
                + "  end_call()\n"
                + "  return redis.call('HGET', KEYS[1] .. ':t:' .. ARGV[1], 'state')\n"
                + "end)\n");
        try {
            for (TaskState from : TaskState.values()) {
                for (TaskState to : TaskState.values()) {
                    JobId job = ScriptBench.jobIn(0);
                    String jobKey = bench.keys.job(job);
                    String taskKey = bench.keys.task(job, "t");
                    // one task in 'from', with the counters set_state keeps for it
                    bench.redis.hset(jobKey, Map.of("status", "RUNNING", "id", job.value()));
                    if (COUNTED.contains(from)) {
                        bench.redis.hset(jobKey, "n:" + from, "1");
                    }
                    bench.redis.hset(taskKey, Map.of("state", from.name(), "pool", "default"));
                    if (from == TaskState.RUNNING) {
                        bench.redis.sadd(bench.keys.running(job), "t");
                    }
                    Map<String, String> jobBefore = bench.redis.hgetall(jobKey);
                    Map<String, String> taskBefore = bench.redis.hgetall(taskKey);
                    String pair = from + " -> " + to;
                    if (from.canMoveTo(to)) {
                        String state = bench.redis.fcall(fn, ScriptOutputType.VALUE, new String[] {jobKey}, "t", to.name());
                        assertEquals(to.name(), state, pair);
                        for (TaskState s : COUNTED) {
                            assertEquals(s == to ? "1" : "0", bench.redis.hget(jobKey, "n:" + s) == null ? "0" : bench.redis.hget(jobKey, "n:" + s),
                                    pair + ": n:" + s);
                        }
                        assertEquals(to == TaskState.RUNNING ? Set.of("t") : Set.of(), bench.redis.smembers(bench.keys.running(job)), pair);
                    } else {
                        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                                () -> bench.redis.fcall(fn, ScriptOutputType.VALUE, new String[] {jobKey}, "t", to.name()), pair);
                        assertTrue(e.getMessage().contains("illegal task transition " + pair + " of " + taskKey), e.getMessage());
                        assertEquals(taskBefore, bench.redis.hgetall(taskKey), pair + " wrote nothing");
                        assertEquals(jobBefore, bench.redis.hgetall(jobKey), pair + " counted nothing");
                    }
                }
            }
            // a state that is none, and a task that does not exist
            JobId job = ScriptBench.jobIn(0);
            bench.redis.hset(bench.keys.task(job, "t"), "state", "BOGUS");
            RedisCommandExecutionException bogus = assertThrows(RedisCommandExecutionException.class,
                    () -> bench.redis.fcall(fn, ScriptOutputType.VALUE, new String[] {bench.keys.job(job)}, "t", "READY"));
            assertTrue(bogus.getMessage().contains("illegal task transition BOGUS -> READY"), bogus.getMessage());
            RedisCommandExecutionException missing = assertThrows(RedisCommandExecutionException.class,
                    () -> bench.redis.fcall(fn, ScriptOutputType.VALUE, new String[] {bench.keys.job(job)}, "none", "READY"));
            // (Redis hands Lua a missing field as false, so the message names it so)
            assertTrue(missing.getMessage().contains("illegal task transition false -> READY"), missing.getMessage());
            assertNull(bench.redis.hget(bench.keys.task(job, "none"), "state"));
        } finally {
            // Lettuce has no FUNCTION DELETE of its own
            bench.redis.dispatch(CommandType.FUNCTION, new StatusOutput<>(StringCodec.UTF8),
                    new CommandArgs<>(StringCodec.UTF8).add("DELETE").add(lib));
        }
    }

    /**
     * The scripts' own checks come before set_state: a task put in SKIPPED or SUCCESS by hand
     * (no script would) is left alone by every path that would move it on, with a stale or fenced
     * answer, not an error.
     */
    @Test
    void aTaskEndedByHandIsLeftAloneByEveryScript() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("ready").queueTimeout(60_000);
        p.task("running").timeout(60_000);
        p.submit();
        long dispatch = bench.dispatchOf(p.id, "ready");
        String attempt = bench.claimOne(p.id, "running");
        bench.redis.hset(bench.keys.task(p.id, "ready"), "state", "SKIPPED");
        bench.redis.hset(bench.keys.task(p.id, "running"), "state", "SUCCESS");
        Map<String, String> ready = bench.redis.hgetall(bench.keys.task(p.id, "ready"));
        Map<String, String> running = bench.redis.hgetall(bench.keys.task(p.id, "running"));

        assertEquals(List.of(new ClaimReply.Stale("SKIPPED")), bench.claim(shard, LEASE,
                List.of(new StateGateway.AttemptRef(p.id.value(), "ready", dispatch, "x"))));
        assertEquals(StateGateway.Poisoned.STALE, bench.poison(p.id, "ready", dispatch));
        assertEquals("stale", bench.requeue(p.id, "ready", "default", Long.MAX_VALUE / 2).status());
        assertEquals("stale", bench.timer(shard, "q|" + p.id + "|ready|" + dispatch).status());
        assertEquals(List.of("fenced", "fenced"), bench.commit(shard, List.of(ok(p.id, "running", attempt),
                failed(p.id, "running", attempt, Outcome.FAIL, true))).stream().map(CommitReply::wire).toList());
        assertFalse(bench.renew(p.id, "running", attempt, LEASE));
        assertEquals("stale", bench.timer(shard, "a|" + p.id + "|running|" + attempt).status());
        bench.redis.zadd(bench.keys.leases(shard), 0, Keys.member(p.id, "running"));
        assertEquals("stale", bench.expire(p.id, "running", 3).status());
        bench.redis.zadd(bench.keys.timers(shard), 0, "r|" + p.id + "|running");
        assertEquals("stale", bench.timer(shard, "r|" + p.id + "|running").status());

        assertEquals(ready, bench.redis.hgetall(bench.keys.task(p.id, "ready")));
        assertEquals(running, bench.redis.hgetall(bench.keys.task(p.id, "running")));
    }

    /**
     * A path the checks cannot guard: an attempt that ends while its job stops ends in the job's
     * stopAs, read from the job hash. Written wrong by hand ('PENDING'), the commit asks set_state
     * for RUNNING -> PENDING, which it refuses; the Lua error reaches the worker's gateway as a
     * RedisCommandExecutionException and the task keeps its state. Lua has no rollback: what commit.lua
     * wrote before it called set_state (the lease and attempt timer it removed) stays written.
     */
    @Test
    void aRefusedTransitionReachesTheCallerAsARedisError() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard);
        p.task("a");
        p.submit();
        String attempt = bench.claimOne(p.id, "a");
        assertEquals("stopping:1", ScriptBench.said(bench.stop(p.id)));
        bench.redis.hset(bench.keys.job(p.id), "stopAs", "PENDING");

        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> bench.commit(shard, List.of(failed(p.id, "a", attempt, Outcome.FAIL, true))));
        assertTrue(e.getMessage().contains("illegal task transition RUNNING -> PENDING of " + bench.keys.task(p.id, "a")), e.getMessage());
        assertEquals("RUNNING", p.state("a"));
        assertEquals(attempt, bench.attemptOf(p.id, "a"));
        assertEquals(0L, bench.redis.xlen(bench.keys.events(shard)), "no completion event");
        assertNull(bench.zset(bench.keys.leases(shard)).get(Keys.member(p.id, "a")), "removed before the refusal, and not rolled back");
        assertEquals(Set.of("a"), bench.redis.smembers(bench.keys.running(p.id)));
        bench.assertCounters("after the refusal");
    }

    /**
     * A refusal in the middle of a batch: the items before it were written (no rollback), and the
     * counters must say so. set_state sums its counter changes in the call and writes them once at
     * the end; an error that skipped that write would leave n:RUNNING counting a task that ended,
     * for good.
     */
    @Test
    void theCountersMatchTheTasksWhenABatchFailsHalfway() throws Exception {
        int shard = 0;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b");
        p.submit();
        String a = bench.claimOne(p.id, "a");
        String b = bench.claimOne(p.id, "b");
        assertEquals("stopping:2", ScriptBench.said(bench.stop(p.id)));
        bench.redis.hset(bench.keys.job(p.id), "stopAs", "PENDING");

        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> bench.commit(shard, List.of(ok(p.id, "a", a), failed(p.id, "b", b, Outcome.FAIL, true))));
        assertTrue(e.getMessage().contains("illegal task transition RUNNING -> PENDING"), e.getMessage());
        assertEquals("SUCCESS", p.state("a"), "the first commit of the batch was written before the error");
        assertEquals("RUNNING", p.state("b"));
        assertEquals(Set.of("b"), bench.redis.smembers(bench.keys.running(p.id)));
        assertEquals("1", bench.redis.hget(bench.keys.job(p.id), "n:RUNNING"), "one task runs");
        bench.assertCounters("after a batch that failed halfway");
    }

    /**
     * An error Redis raises inside a script (here HINCRBY of a field that is no number, written
     * by hand) reaches the caller as that error, like set_state's own: the counters' write after
     * an error does not hide it.
     */
    @Test
    void aRedisErrorInsideAScriptReachesTheCallerAsItIs() throws Exception {
        int shard = 1;
        Plan p = bench.plan(shard);
        p.task("a");
        p.task("b");
        p.submit();
        bench.succeed(p.id, "a");
        String b = bench.claimOne(p.id, "b");
        bench.redis.hset(bench.keys.job(p.id), "rewrites", "many");
        // b writes a's output again: commit.lua counts the rewrite with HINCRBY
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class, () -> bench.commit(shard, List.of(
                new StateGateway.Commit(p.id.value(), "b", b, Outcome.OK, "", false,
                        Map.of("x_a", new StateGateway.Output("again".getBytes(StandardCharsets.UTF_8), "text/plain"))))));
        assertTrue(e.getMessage().contains("hash value is not an integer"), e.getMessage());
        assertEquals("RUNNING", p.state("b"));
        bench.assertCounters("after the error");
    }
}
