package dev.pipewright.it.scripts;

import dev.pipewright.infra.redis.Script;
import dev.pipewright.infra.redis.Scripts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two scripts that move no task: pipeline.lua (a pipeline's versions, the jobs it has live and
 * its delete) and schedule.lua (a schedule, its fire claims and its next fire time), called with
 * the keys and arguments PipelineStore and ScheduleStore pass. Calls meant to be repeatable (a
 * reserve, a claim, a settled advance, a pause) are replayed and must change no key.
 */
class PipelineScheduleScriptsIT {
    private ScriptBench bench;

    @BeforeEach
    void open() {
        bench = new ScriptBench();
    }

    @AfterEach
    void close() {
        bench.close();
    }

    private static List<String> texts(List<Object> raw) {
        List<String> out = new ArrayList<>();
        raw.forEach(o -> out.add(Scripts.text(o)));
        return out;
    }

    /** PipelineStore's call. */
    private List<String> pipeline(String id, String... args) throws Exception {
        return texts(bench.raw(Script.PIPELINE, Scripts.keys(bench.keys.pipeline(id)), ScriptBench.args(args)));
    }

    /** ScheduleStore's call. */
    private List<String> schedule(String id, String op, String... args) throws Exception {
        String[] argv = new String[args.length + 2];
        argv[0] = op;
        argv[1] = id;
        System.arraycopy(args, 0, argv, 2, args.length);
        return texts(bench.raw(Script.SCHEDULE, Scripts.keys(bench.keys.schedules(), bench.keys.schedule(id)), ScriptBench.args(argv)));
    }

    @Test
    void aPipelineTakesVersionsFromItsOwnerAndIsDeletedOnlyWithoutLiveJobs() throws Exception {
        String id = "p1";
        String key = bench.keys.pipeline(id);
        assertEquals(List.of("ok", "1"), pipeline(id, "save", "alice", "0", "{\"v\":1}", "100"));
        assertEquals(List.of("ok", "2"), pipeline(id, "save", "alice", "0", "{\"v\":2}", "200"));
        assertEquals(List.of("forbidden", "alice"), pipeline(id, "save", "bob", "0", "{\"v\":3}", "300"));
        assertEquals(List.of("ok", "3"), pipeline(id, "save", "bob", "1", "{\"v\":3}", "300"), "an admin may");
        Map<String, String> h = bench.redis.hgetall(key);
        assertEquals("alice", h.get("owner"));
        assertEquals("100", h.get("created_at"));
        assertEquals("300", h.get("updated_at"));
        assertEquals("{\"v\":2}", h.get("v:2"));

        ScriptBench.Checked<List<String>> reserved = bench.check("reserve", () -> pipeline(id, "reserve", "job1", "2", "400"));
        assertEquals(List.of("ok", "1"), reserved.first());
        assertEquals(List.of("ok", "1"), reserved.replay());
        assertEquals(List.of("gone"), pipeline(id, "reserve", "job2", "9", "400"), "no such version");
        assertEquals(List.of("gone"), pipeline("nosuch", "reserve", "job2", "1", "400"));

        assertEquals(List.of("forbidden", "alice"), pipeline(id, "delete", "bob", "0", "500"));
        assertEquals(List.of("active", "job1"), pipeline(id, "delete", "alice", "0", "500"));
        bench.redis.hdel(key, "live:job1"); // the overseer drops a job that ended
        ScriptBench.Checked<List<String>> deleted = bench.check("delete", () -> pipeline(id, "delete", "alice", "0", "600"));
        assertEquals(List.of("deleted", "3", "1"), deleted.first());
        assertEquals(List.of("gone"), deleted.replay());
        assertEquals(List.of("deleted"), pipeline(id, "reserve", "job3", "3", "700"));

        // the id starts a new life, owned by its poster, its versions numbered on
        assertEquals(List.of("ok", "4"), pipeline(id, "save", "bob", "0", "{\"v\":4}", "800"));
        h = bench.redis.hgetall(key);
        assertEquals("bob", h.get("owner"));
        assertEquals("4", h.get("first"));
        assertNull(h.get("deleted"));
        assertEquals(List.of("gone"), pipeline(id, "reserve", "job4", "3", "900"), "a version of the earlier life");
        assertEquals(List.of("ok", "1"), pipeline(id, "reserve", "job4", "4", "900"));

        Exception e = assertThrows(Exception.class, () -> pipeline(id, "rename"));
        assertTrue(e.getMessage().contains("unknown pipeline operation rename"), e.getMessage());
    }

    @Test
    void aScheduleFireIsClaimedOnceAndSettledOnce() throws Exception {
        String id = "s1";
        String hash = bench.keys.schedule(id);
        String zset = bench.keys.schedules();
        assertEquals(List.of("ok", "0"), schedule(id, "set", "2", "alice", "*/5 * * * *", "", "", "UTC", "1000"));
        assertEquals(List.of("stale"), schedule(id, "set", "1", "alice", "0 * * * *", "", "", "", "5000"), "an older version");
        assertEquals(1000.0, bench.redis.zscore(zset, id));
        assertEquals("*/5 * * * *", bench.redis.hget(hash, "cron"));
        Exception e = assertThrows(Exception.class, () -> schedule(id, "explode"));
        assertTrue(e.getMessage().contains("unknown op explode"), e.getMessage());

        ScriptBench.Checked<List<String>> claim = bench.check("claim", () -> schedule(id, "claim", "1000", "1000", "jobaaaaaaaa1"));
        assertEquals(List.of("claimed", "1000", "jobaaaaaaaa1"), claim.first());
        assertEquals(claim.first(), claim.replay());
        assertEquals(List.of("claimed", "1000", "jobaaaaaaaa1"), schedule(id, "claim", "1000", "1200", "jobbbbbbbbb2"),
                "a later claim of the same fire gets the pinned time and job id");
        String fire = bench.keys.scheduleFire(id, 1000);
        assertEquals("jobaaaaaaaa1", bench.redis.get(fire));
        assertEquals(-1L, bench.redis.ttl(fire), "no expiry until the fire is settled");

        ScriptBench.Checked<List<String>> advance = bench.check("advance",
                () -> schedule(id, "advance", "1000", "1000", "2000", "jobaaaaaaaa1", "submitted", ""));
        assertEquals(List.of("ok"), advance.first());
        assertEquals(List.of("stale"), advance.replay());
        Map<String, String> h = bench.redis.hgetall(hash);
        assertEquals("2000", h.get("next"));
        assertNull(h.get("claim"));
        assertEquals("jobaaaaaaaa1", h.get("last_job"));
        assertEquals("submitted", h.get("last_outcome"));
        assertTrue(bench.redis.ttl(fire) > 0, "a settled fire's key expires");
        assertEquals(2000.0, bench.redis.zscore(zset, id));
        assertEquals(List.of("stale"), schedule(id, "claim", "1000", "1000", "jobccccccccc3"), "that fire is settled");

        ScriptBench.Checked<List<String>> pause = bench.check("pause", () -> schedule(id, "pause"));
        assertEquals(List.of("ok"), pause.first());
        assertEquals(List.of("ok"), pause.replay());
        assertNull(bench.redis.zscore(zset, id));
        assertEquals(List.of("paused"), schedule(id, "claim", "2000", "2000", "jobddddddddd4"));
        assertEquals(List.of("ok"), schedule(id, "resume", "3000"));
        assertEquals(List.of("running"), schedule(id, "resume", "4000"));
        assertEquals(3000.0, bench.redis.zscore(zset, id));

        assertEquals(List.of("ok"), schedule(id, "unset", "3"));
        assertEquals(Map.of("version", "3"), bench.redis.hgetall(hash), "only the version stays");
        assertNull(bench.redis.zscore(zset, id));
        assertEquals(List.of("stale"), schedule(id, "set", "2", "alice", "*/5 * * * *", "", "", "UTC", "5000"));
        assertEquals(List.of("none"), schedule(id, "pause"));
        assertEquals(List.of("gone"), schedule(id, "claim", "3000", "3000", "jobeeeeeeee5"));
        assertEquals(List.of("ok"), schedule(id, "remove"));
        assertEquals(0L, bench.redis.exists(hash));
    }

    @Test
    void changingAScheduleDropsItsUnsettledClaim() throws Exception {
        String id = "s2";
        String hash = bench.keys.schedule(id);
        schedule(id, "set", "1", "alice", "* * * * *", "", "", "", "1000");
        assertEquals(List.of("claimed", "1000", "jobfffffffff6"), schedule(id, "claim", "1000", "1000", "jobfffffffff6"));
        assertEquals(List.of("ok", "0"), schedule(id, "set", "2", "alice", "*/2 * * * *", "", "", "", "1200"));
        assertNull(bench.redis.hget(hash, "claim"));
        assertTrue(bench.redis.ttl(bench.keys.scheduleFire(id, 1000)) > 0, "the dropped claim's key expires like a settled one");
        assertEquals(List.of("stale"), schedule(id, "advance", "1000", "1000", "2000", "jobfffffffff6", "submitted", ""),
                "the old fire cannot settle the new definition");
        assertEquals("1200", bench.redis.hget(hash, "next"));
    }
}
