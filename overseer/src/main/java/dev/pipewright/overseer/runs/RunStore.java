package dev.pipewright.overseer.runs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.redis.Script;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.keys.RunId;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.protocol.state.JobState;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs in Redis: {@code <ns>:run:<id>} (hash: name, pipeline, pipeline version, priority, tags,
 * domain context, owner, created/updated ms), {@code <ns>:runs} (ids by creation time) and
 * {@code <ns>:run:<id>:jobs} (job ids by the time they were added, for listing).
 *
 * <p>Counters and status come from the jobs' own states, so they cannot drift, but a read looks
 * only at the jobs not yet known to have ended: {@code <ns>:{run:<id>}:open}. Each job enters it
 * when it is added to the run; a read that finds one ended settles it ({@code run.lua}): out of the
 * open set and into the tally of its final state in {@code <ns>:{run:<id>}:ended}, in one step
 * that counts a job once however many readers settle it at the same time. Ended states are final,
 * so a tally never has to be taken back, and a read costs the run's open jobs, not all of them.
 */
public final class RunStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] JOB_FIELDS = {"status", "created", "started", "finished"};

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Scripts scripts;

    public RunStore(Keys keys, RedisClusterAsyncCommands<String, String> redis, Scripts scripts) {
        this.keys = keys;
        this.redis = redis;
        this.scripts = scripts;
    }

    public record NewRun(String name, String pipelineId, int pipelineVersion, Priority priority, Map<String, String> tags,
                         Map<String, Object> domainContext, String owner) {
    }

    /** A run as stored (without its derived counters). */
    public record Run(RunId id, String name, String pipelineId, int pipelineVersion, Priority priority, Map<String, String> tags,
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
        h.put("priority", r.priority().wireName());
        h.put("tags", JSON.writeValueAsString(r.tags()));
        h.put("domain", JSON.writeValueAsString(r.domainContext()));
        h.put("owner", r.owner());
        h.put("created", Long.toString(now));
        h.put("updated", Long.toString(now));
        // before the run is visible: a run without 'since' reads as one stored before the open set was kept
        redis.hset(keys.runEnded(id), "since", Long.toString(now)).get(10, TimeUnit.SECONDS);
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
                Priority.parse(h.getOrDefault("priority", Priority.RUN_DEFAULT)), JSON.readValue(h.getOrDefault("tags", "{}"), new TypeReference<LinkedHashMap<String, String>>() { }),
                JSON.readValue(h.getOrDefault("domain", "{}"), new TypeReference<LinkedHashMap<String, Object>>() { }),
                h.get("owner"), Long.parseLong(h.getOrDefault("created", "0")), Long.parseLong(h.getOrDefault("updated", "0")));
    }

    /**
     * Records a job as the run's, before the job is created (a crash in between leaves an id that
     * reads as no job). Open first: a job in the index but not open would never be counted.
     */
    public void addJob(RunId run, JobId job) throws Exception {
        redis.sadd(keys.runOpen(run), job.value()).get(10, TimeUnit.SECONDS);
        redis.zadd(keys.runJobs(run), System.currentTimeMillis(), job.value()).get(10, TimeUnit.SECONDS);
    }

    /** Marks the run updated once a job was added to it. */
    public void touch(RunId run) throws Exception {
        redis.hset(keys.run(run), "updated", Long.toString(System.currentTimeMillis())).get(10, TimeUnit.SECONDS);
    }

    /** Takes back {@link #addJob} when the job was refused. */
    public void removeJob(RunId run, JobId job) throws Exception {
        redis.zrem(keys.runJobs(run), job.value()).get(10, TimeUnit.SECONDS);
        redis.srem(keys.runOpen(run), job.value()).get(10, TimeUnit.SECONDS);
    }

    /**
     * Counts an ended job in its run's tallies now, before the job is removed (retention or delete):
     * once its hash is gone a read finds no job, and the run would lose it. Counted once whoever
     * settles it, as a read's settle; then the job leaves the run's job index (listing), not its counts.
     */
    public void settleRemoved(RunId run, JobId job, JobState state, long lastUs) throws Exception {
        if (!state.isTerminal()) {
            throw new IllegalArgumentException("job " + job + " is " + state + ": only an ended job is settled");
        }
        if (Boolean.TRUE.equals(redis.hexists(keys.runEnded(run), "since").get(10, TimeUnit.SECONDS))) {
            runScript(run, List.of("settle", "1", job.value(), state.name(), Long.toString(lastUs)));
        } else {
            counts(run); // a run stored before the open set was kept: its first read starts the set and settles what ended, this job too
        }
        redis.zrem(keys.runJobs(run), job.value()).get(10, TimeUnit.SECONDS);
    }

    public IndexScan.Source jobIndex(RunId run) {
        return IndexScan.zset(redis, keys.runJobs(run));
    }

    public IndexScan.Source index() {
        return IndexScan.zset(redis, keys.runIndex());
    }

    public Double jobScore(RunId run, JobId job) throws Exception {
        return redis.zscore(keys.runJobs(run), job.value()).get(10, TimeUnit.SECONDS);
    }

    /** The run as the API shows it: stored fields plus counters and the status derived from its jobs. */
    public RunView view(Run run) throws Exception {
        RunCounts c = counts(run.id());
        long lastUpdatedUs = Math.max(run.updatedMs() * 1000, c.lastUs());
        return new RunView(run.id().value(), run.name(), run.pipelineId(), run.pipelineVersion(), run.priority().wireName(), run.tags(),
                run.domainContext(), run.owner(), c.status().name(), c.jobs(), c.succeeded(), c.failed(), c.cancelled(), c.active(),
                Instant.ofEpochMilli(run.createdMs()).toString(),
                Instant.ofEpochSecond(lastUpdatedUs / 1_000_000, (lastUpdatedUs % 1_000_000) * 1000).toString());
    }

    /**
     * The run's counters: the tallies of its settled jobs plus its open jobs' states, read now (one
     * {@code HMGET} per open job, pipelined), settling those that ended. A job id whose hash is gone
     * (recorded, then refused or never created) counts as no job and stays open.
     */
    public RunCounts counts(RunId run) throws Exception {
        // the open set before the tallies: a job settled in between is in both, and since it has
        // ended, its state read below sends it to the settle call, which counts it once; read the
        // other way round, it would be in neither
        CompletableFuture<Set<String>> openRead = redis.smembers(keys.runOpen(run)).toCompletableFuture();
        CompletableFuture<Map<String, String>> endedRead = redis.hgetall(keys.runEnded(run)).toCompletableFuture();
        Set<String> open = openRead.get(10, TimeUnit.SECONDS);
        Map<String, String> ended = endedRead.get(10, TimeUnit.SECONDS);
        if (!ended.containsKey("since")) {
            startOpenSet(run);
            open = redis.smembers(keys.runOpen(run)).get(10, TimeUnit.SECONDS);
            ended = redis.hgetall(keys.runEnded(run)).get(10, TimeUnit.SECONDS);
        }
        if (open.isEmpty()) {
            return RunCounts.of(ended, List.of());
        }
        List<String> ids = new ArrayList<>(open);
        List<CompletableFuture<List<KeyValue<String, String>>>> reads = new ArrayList<>(ids.size());
        for (String j : ids) {
            reads.add(redis.hmget(keys.job(new JobId(j)), JOB_FIELDS).toCompletableFuture());
        }
        List<String> settle = new ArrayList<>();
        List<RunCounts.OpenJob> stillOpen = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            RunCounts.OpenJob j = openJob(ids.get(i), reads.get(i).get(10, TimeUnit.SECONDS));
            if (j == null) {
                continue;
            }
            if (j.state().isTerminal()) {
                settle.add(j.id());
                settle.add(j.state().name());
                settle.add(Long.toString(j.lastUs()));
            } else {
                stillOpen.add(j);
            }
        }
        if (settle.isEmpty()) {
            return RunCounts.of(ended, stillOpen);
        }
        // the ids still open go along: one another reader settles after our read must not count twice
        List<String> args = new ArrayList<>(2 + settle.size() + stillOpen.size());
        args.add("settle");
        args.add(Integer.toString(settle.size() / 3));
        args.addAll(settle);
        stillOpen.forEach(j -> args.add(j.id()));
        List<Object> reply = runScript(run, args);
        List<Long> numbers = new ArrayList<>(reply.size());
        reply.forEach(o -> numbers.add((Long) o));
        return RunCounts.ofSettled(numbers, stillOpen);
    }

    /** A job of the open set as read: null when its hash is gone. */
    static RunCounts.OpenJob openJob(String id, List<KeyValue<String, String>> fields) {
        if (!fields.get(0).hasValue()) {
            return null;
        }
        long last = 0;
        for (int i = 1; i < fields.size(); i++) {
            if (fields.get(i).hasValue()) {
                last = Math.max(last, Long.parseLong(fields.get(i).getValue()));
            }
        }
        return new RunCounts.OpenJob(id, JobState.valueOf(fields.get(0).getValue()), last);
    }

    /**
     * A run stored before the open set was kept has all its jobs in its index and no tallies: they
     * become its open set, once (the script refuses a second start), and the reads settle them.
     */
    private void startOpenSet(RunId run) throws Exception {
        List<String> ids = redis.zrange(keys.runJobs(run), 0, -1).get(10, TimeUnit.SECONDS);
        List<String> args = new ArrayList<>(ids.size() + 2);
        args.add("init");
        args.add(Long.toString(System.currentTimeMillis()));
        args.addAll(ids);
        runScript(run, args);
    }

    private List<Object> runScript(RunId run, List<String> args) throws Exception {
        byte[][] argv = new byte[args.size()][];
        for (int i = 0; i < argv.length; i++) {
            argv[i] = Scripts.bytes(args.get(i));
        }
        return scripts.<List<Object>>run(Script.RUN, ScriptOutputType.MULTI, Scripts.keys(keys.runOpen(run), keys.runEnded(run)), argv)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /**
     * What a run listing keeps: runs of these statuses, priorities, pipelines and owners (an empty
     * set: any) that carry every tag given ({@code null} value: any value).
     */
    public record Filter(Set<String> statuses, Set<String> priorities, Set<String> pipelineIds, Set<String> owners,
                         Map<String, String> tags) {
        boolean keeps(Run r) {
            if (!(priorities.isEmpty() || priorities.contains(r.priority().wireName()))
                    || !(pipelineIds.isEmpty() || pipelineIds.contains(r.pipelineId()))
                    || !(owners.isEmpty() || owners.contains(r.owner()))) {
                return false;
            }
            for (Map.Entry<String, String> t : tags.entrySet()) {
                if (!r.tags().containsKey(t.getKey()) || t.getValue() != null && !t.getValue().equals(r.tags().get(t.getKey()))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * A page of runs as the API shows them, newest first, from {@code from} on (null: the newest);
     * the status filter applies to the derived status, so it is checked on the view.
     */
    public IndexScan.Page<RunView> page(Filter f, IndexScan.Position from, int size) throws Exception {
        return IndexScan.page(List.of(index()), from, size, IndexScan.BUDGET, ids -> {
            List<RunView> out = new ArrayList<>();
            for (Run r : findAll(ids)) {
                RunView view = r != null && f.keeps(r) ? view(r) : null;
                out.add(view != null && (f.statuses().isEmpty() || f.statuses().contains(view.status())) ? view : null);
            }
            return out;
        });
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
