package dev.pipewright.overseer.runs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.keys.RunId;
import dev.pipewright.protocol.state.JobState;
import dev.pipewright.protocol.state.RunStatus;
import io.lettuce.core.KeyValue;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs in Redis: {@code <ns>:run:<id>} (hash: name, pipeline, pipeline version, priority, tags,
 * domain context, owner, created/updated ms), {@code <ns>:runs} (ids by creation time) and
 * {@code <ns>:run:<id>:jobs} (job ids by the time they were added). Counters and status are
 * derived from the jobs' states on every read ({@link RunStatus#derive}), so they can never drift.
 */
public final class RunStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A run lists at most this many jobs in its counters (a run is a human-sized batch). */
    public static final int MAX_JOBS_COUNTED = 10_000;

    private final Keys keys;
    private final RedisAsyncCommands<String, String> redis;

    public RunStore(Keys keys, RedisAsyncCommands<String, String> redis) {
        this.keys = keys;
        this.redis = redis;
    }

    public record NewRun(String name, String pipelineId, int pipelineVersion, String priority, Map<String, String> tags,
                         Map<String, Object> domainContext, String owner) {
    }

    /** A run as stored (without its derived counters). */
    public record Run(RunId id, String name, String pipelineId, int pipelineVersion, String priority, Map<String, String> tags,
                      Map<String, Object> domainContext, String owner, long createdMs, long updatedMs) {
    }

    public RunId create(NewRun r) throws Exception {
        RunId id = RunId.random();
        long now = System.currentTimeMillis();
        Map<String, String> h = new LinkedHashMap<>();
        h.put("id", id.value());
        h.put("name", r.name() != null ? r.name() : id.value());
        h.put("pipeline", r.pipelineId());
        h.put("version", Integer.toString(r.pipelineVersion()));
        h.put("priority", r.priority());
        h.put("tags", JSON.writeValueAsString(r.tags()));
        h.put("domain", JSON.writeValueAsString(r.domainContext()));
        h.put("owner", r.owner());
        h.put("created", Long.toString(now));
        h.put("updated", Long.toString(now));
        redis.hset(keys.run(id), h).get(10, TimeUnit.SECONDS);
        redis.zadd(keys.runIndex(), now, id.value()).get(10, TimeUnit.SECONDS);
        return id;
    }

    public Run find(RunId id) throws Exception {
        return parse(redis.hgetall(keys.run(id)).get(10, TimeUnit.SECONDS));
    }

    private static Run parse(Map<String, String> h) throws Exception {
        if (h == null || h.isEmpty()) {
            return null;
        }
        return new Run(new RunId(h.get("id")), h.get("name"), h.get("pipeline"), Integer.parseInt(h.getOrDefault("version", "0")),
                h.get("priority"), JSON.readValue(h.getOrDefault("tags", "{}"), new TypeReference<LinkedHashMap<String, String>>() { }),
                JSON.readValue(h.getOrDefault("domain", "{}"), new TypeReference<LinkedHashMap<String, Object>>() { }),
                h.get("owner"), Long.parseLong(h.getOrDefault("created", "0")), Long.parseLong(h.getOrDefault("updated", "0")));
    }

    /** Records a job as the run's, before the job is created (a crash in between leaves an id that reads as no job). */
    public void addJob(RunId run, JobId job) throws Exception {
        redis.zadd(keys.runJobs(run), System.currentTimeMillis(), job.value()).get(10, TimeUnit.SECONDS);
    }

    /** Marks the run updated once a job was added to it. */
    public void touch(RunId run) throws Exception {
        redis.hset(keys.run(run), "updated", Long.toString(System.currentTimeMillis())).get(10, TimeUnit.SECONDS);
    }

    /** Takes back {@link #addJob} when the job was refused. */
    public void removeJob(RunId run, JobId job) throws Exception {
        redis.zrem(keys.runJobs(run), job.value()).get(10, TimeUnit.SECONDS);
    }

    public IndexScan.Source jobIndex(RunId run) {
        return IndexScan.zset(redis, keys.runJobs(run));
    }

    public IndexScan.Source index() {
        return IndexScan.zset(redis, keys.runIndex());
    }

    public Double score(RunId id) throws Exception {
        return redis.zscore(keys.runIndex(), id.value()).get(10, TimeUnit.SECONDS);
    }

    public Double jobScore(RunId run, JobId job) throws Exception {
        return redis.zscore(keys.runJobs(run), job.value()).get(10, TimeUnit.SECONDS);
    }

    /** The run as the API shows it: stored fields plus counters and the status derived from its jobs. */
    public Map<String, Object> view(Run run) throws Exception {
        List<String> ids = redis.zrange(keys.runJobs(run.id()), 0, MAX_JOBS_COUNTED - 1).get(10, TimeUnit.SECONDS);
        List<CompletableFuture<List<KeyValue<String, String>>>> futures = new ArrayList<>(ids.size());
        for (String j : ids) {
            futures.add(redis.hmget(keys.job(new JobId(j)), "status", "created", "started", "finished").toCompletableFuture());
        }
        List<JobState> states = new ArrayList<>(ids.size());
        int succeeded = 0;
        int failed = 0;
        int cancelled = 0;
        int running = 0;
        long lastUpdatedUs = run.updatedMs() * 1000;
        for (CompletableFuture<List<KeyValue<String, String>>> f : futures) {
            List<KeyValue<String, String>> v = f.get(10, TimeUnit.SECONDS);
            if (!v.get(0).hasValue()) {
                continue; // recorded, then refused or never created
            }
            JobState s = JobState.valueOf(v.get(0).getValue());
            states.add(s);
            switch (s) {
                case SUCCESS -> succeeded++;
                case FAILED -> failed++;
                case CANCELLED -> cancelled++;
                case RUNNING, CANCELLING -> running++;
                default -> { }
            }
            for (int i = 1; i < 4; i++) {
                if (v.get(i).hasValue()) {
                    lastUpdatedUs = Math.max(lastUpdatedUs, Long.parseLong(v.get(i).getValue()));
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", run.id().value());
        out.put("name", run.name());
        out.put("pipeline_id", run.pipelineId());
        out.put("pipeline_version", run.pipelineVersion());
        out.put("priority", run.priority());
        out.put("tags", run.tags());
        out.put("domain_context", run.domainContext());
        out.put("owner", run.owner());
        out.put("status", RunStatus.derive(states).name());
        out.put("num_jobs", states.size());
        out.put("num_successful_jobs", succeeded);
        out.put("num_failed_jobs", failed);
        out.put("num_cancelled_jobs", cancelled);
        out.put("num_running_jobs", running);
        out.put("created_at", Instant.ofEpochMilli(run.createdMs()).toString());
        out.put("last_updated_at", Instant.ofEpochSecond(lastUpdatedUs / 1_000_000, (lastUpdatedUs % 1_000_000) * 1000).toString());
        return out;
    }

    /** Runs of a page, in order, null for one that is gone. */
    public List<Run> findAll(List<String> ids) throws Exception {
        List<CompletableFuture<Map<String, String>>> futures = new ArrayList<>();
        for (String id : ids) {
            futures.add(redis.hgetall(keys.run(new RunId(id))).toCompletableFuture());
        }
        List<Run> out = new ArrayList<>();
        for (CompletableFuture<Map<String, String>> f : futures) {
            out.add(parse(f.get(10, TimeUnit.SECONDS)));
        }
        return out;
    }
}
