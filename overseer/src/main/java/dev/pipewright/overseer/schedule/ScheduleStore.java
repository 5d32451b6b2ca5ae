package dev.pipewright.overseer.schedule;

import dev.pipewright.infra.redis.Script;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.pipeline.Schedule;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.pipewright.infra.redis.Scripts.bytes;

/**
 * Pipelines' active schedules in Redis ({@code schedule.lua} makes every change): a pipeline's
 * latest version defines it, the sorted set {@link Keys#schedules()} holds each active one's next
 * fire time, and a fire is claimed (fire time and job id pinned) before its job is submitted and
 * settled after. Listens to the pipeline store: a stored version with a schedule becomes the
 * pipeline's schedule, one without removes it, and deleting the pipeline deletes it.
 */
public final class ScheduleStore implements PipelineStore.Listener {
    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Scripts scripts;
    private final Clock clock;

    public ScheduleStore(Keys keys, RedisClusterAsyncCommands<String, String> redis, Scripts scripts, Clock clock) {
        this.keys = keys;
        this.redis = redis;
        this.scripts = scripts;
        this.clock = clock;
    }

    /** A pipeline's schedule as stored, with its state. */
    public record Active(String pipelineId, Schedule schedule, String owner, int version, Long nextMs, boolean paused, Long pausedAtMs,
                         Long claimMs, Long lastFireMs, String lastJob, String lastOutcome, String lastError) {
        public CronSchedule cron() {
            return CronSchedule.of(schedule);
        }
    }

    /** A schedule whose next fire time has come. */
    public record Due(String pipelineId, long dueMs) {
    }

    /** A claimed fire: the cron time it stands for and the job id it submits (the same however often it is claimed). */
    public record Claim(long fireMs, JobId jobId) {
    }

    @Override
    public void saved(StoredPipeline stored, String owner) throws Exception {
        Schedule s = stored.pipeline().schedule();
        if (s == null) {
            run(stored.id(), "unset", Integer.toString(stored.version()));
            return;
        }
        String next = CronSchedule.of(s).nextFrom(clock).map(t -> Long.toString(t.toEpochMilli())).orElse("");
        run(stored.id(), "set", Integer.toString(stored.version()), owner == null ? "anonymous" : owner, s.cron(),
                orEmpty(s.startDate()), orEmpty(s.endDate()), orEmpty(s.timezone()), next);
    }

    @Override
    public void deleted(String pipelineId) throws Exception {
        run(pipelineId, "remove");
    }

    /** The pipeline's schedule, or null when it has none. */
    public Active find(String pipelineId) throws Exception {
        Map<String, String> h = redis.hgetall(keys.schedule(pipelineId)).get(10, TimeUnit.SECONDS);
        if (h.get("cron") == null) {
            return null;
        }
        return new Active(pipelineId, new Schedule(h.get("cron"), h.get("start"), h.get("end"), h.get("zone")),
                h.getOrDefault("owner", "anonymous"), Integer.parseInt(h.getOrDefault("version", "0")), longOf(h.get("next")),
                "1".equals(h.get("paused")), longOf(h.get("paused_at")), longOf(h.get("claim")), longOf(h.get("last_fire")),
                h.get("last_job"), h.get("last_outcome"), h.get("last_error"));
    }

    /** Stops firing; false when the pipeline has no schedule. Pausing a paused schedule changes nothing. */
    public boolean pause(String pipelineId) throws Exception {
        return !"none".equals(run(pipelineId, "pause").get(0));
    }

    /**
     * Fires again from the next cron time after now: what fell due while it was paused is not
     * fired. False when the pipeline has no schedule; resuming one that runs changes nothing.
     */
    public boolean resume(String pipelineId) throws Exception {
        Active a = find(pipelineId);
        if (a == null) {
            return false;
        }
        String next = a.cron().nextFrom(clock).map(t -> Long.toString(t.toEpochMilli())).orElse("");
        return !"none".equals(run(pipelineId, "resume", next).get(0));
    }

    /** Schedules due at {@code now}, earliest first. */
    public List<Due> due(Instant now, int limit) throws Exception {
        List<ScoredValue<String>> got = redis.zrangebyscoreWithScores(keys.schedules(),
                Range.create(Double.NEGATIVE_INFINITY, (double) now.toEpochMilli()), Limit.create(0, limit)).get(10, TimeUnit.SECONDS);
        List<Due> out = new ArrayList<>();
        for (ScoredValue<String> v : got) {
            out.add(new Due(v.getValue(), (long) v.getScore()));
        }
        return out;
    }

    /**
     * Claims the fire of a due schedule: the first claim pins {@code fireMs} and {@code fresh}; a
     * later one (another overseer, or a retry after a crash) gets what was pinned. Null when the
     * fire is no longer due (settled meanwhile, paused, changed or gone).
     */
    public Claim claim(String pipelineId, long dueMs, long fireMs, JobId fresh) throws Exception {
        List<String> r = run(pipelineId, "claim", Long.toString(dueMs), Long.toString(fireMs), fresh.value());
        if (!"claimed".equals(r.get(0))) {
            return null;
        }
        return new Claim(Long.parseLong(r.get(1)), new JobId(r.get(2)));
    }

    /** Settles a claimed fire and sets the next one (null: the schedule has ended); false when someone settled it first. */
    public boolean advance(String pipelineId, long dueMs, Claim claim, Long nextMs, String outcome, String error) throws Exception {
        List<String> r = run(pipelineId, "advance", Long.toString(dueMs), Long.toString(claim.fireMs()),
                nextMs == null ? "" : Long.toString(nextMs), claim.jobId().value(), outcome, error == null ? "" : error);
        return "ok".equals(r.get(0));
    }

    private List<String> run(String pipelineId, String op, String... args) throws Exception {
        byte[][] argv = new byte[args.length + 2][];
        argv[0] = bytes(op);
        argv[1] = bytes(pipelineId);
        for (int i = 0; i < args.length; i++) {
            argv[i + 2] = bytes(args[i]);
        }
        List<Object> reply = scripts.<List<Object>>run(Script.SCHEDULE, ScriptOutputType.MULTI,
                Scripts.keys(keys.schedules(), keys.schedule(pipelineId)), argv).toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<String> out = new ArrayList<>();
        reply.forEach(o -> out.add(Scripts.text(o)));
        return out;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static Long longOf(String s) {
        return s == null || s.isEmpty() ? null : Long.parseLong(s);
    }
}
