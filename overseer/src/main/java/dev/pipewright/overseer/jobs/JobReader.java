package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.overseer.paging.JobCursor;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.keys.RunId;
import dev.pipewright.protocol.message.TaskSpec;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.pipewright.infra.redis.Scripts.bytes;

/** Reads jobs, their tasks, consumables and logs for the API. */
public final class JobReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final RedisClusterAsyncCommands<byte[], byte[]> bytesRedis;
    private final JobLogs logs;

    /** The job's logs: per attempt, and as one stream to follow. */
    public JobLogs logs() {
        return logs;
    }

    public JobReader(Keys keys, RedisClusterAsyncCommands<String, String> redis, RedisClusterAsyncCommands<byte[], byte[]> bytesRedis) {
        this.logs = new JobLogs(keys, redis);
        this.keys = keys;
        this.redis = redis;
        this.bytesRedis = bytesRedis;
    }

    /** The job as the API shows it, or null when there is no such job. */
    public JobView get(JobId id, boolean withTasks) throws Exception {
        Map<String, String> job = redis.hgetall(keys.job(id)).get(10, TimeUnit.SECONDS);
        if (job.isEmpty()) {
            return null;
        }
        List<TaskRow> tasks = null;
        if (withTasks) {
            // item tasks of a mapped node are summed up in their group's row ('items') and paged by /tasks
            List<String> nodes = redis.lrange(keys.nodes(id), 0, -1).get(10, TimeUnit.SECONDS);
            nodes.removeIf(JobRows::isItem);
            List<CompletableFuture<Map<String, String>>> futures = new ArrayList<>();
            for (String node : nodes) {
                futures.add(redis.hgetall(keys.task(id, node)).toCompletableFuture());
            }
            tasks = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                Map<String, String> t = futures.get(i).get(30, TimeUnit.SECONDS);
                if (t.isEmpty()) {
                    // removed between the reads (retention or a delete takes the hash first, then the tasks):
                    // the job is gone, rather than shown with tasks of no state
                    return null;
                }
                tasks.add(JobRows.task(nodes.get(i), t));
            }
        }
        return summary(job).with(tasks, stage(id, job.get("status")).get(30, TimeUnit.SECONDS));
    }

    /** The job's fields, without its tasks and stage. */
    @SuppressWarnings("unchecked")
    private static JobView summary(Map<String, String> job) throws Exception {
        String status = job.get("status");
        int total = intOf(job.get("total"));
        int terminal = intOf(job.get("terminal"));
        // tasks by the state they are in now, kept by the scripts (jobs made before they were kept have none)
        JobView.Counts counts = new JobView.Counts(total, intOf(job.get("succeeded")), intOf(job.get("failed")), intOf(job.get("skipped")),
                intOf(job.get("cancelled")), Math.max(0, intOf(job.get("n:PENDING"))), Math.max(0, intOf(job.get("n:READY"))),
                Math.max(0, intOf(job.get("n:RUNNING"))), Math.max(0, intOf(job.get("n:RETRY_WAIT"))));
        long updated = 0;
        for (String f : List.of("created", "started", "finished")) {
            Long us = longOf(job.get(f));
            updated = us == null ? updated : Math.max(updated, us);
        }
        Long started = longOf(job.get("started"));
        Long finished = longOf(job.get("finished"));
        return new JobView(job.get("id"), job.getOrDefault("name", job.get("id")), job.get("run"), job.getOrDefault("priority", "medium"),
                job.get("owner"), new JobView.Config(job.get("infra") == null ? null : JSON.readValue(job.get("infra"), Map.class),
                        job.get("config") == null ? null : JSON.readValue(job.get("config"), Map.class)),
                job.get("pipeline"), intOf(job.get("version")), status, terminal + "/" + total,
                "SUCCESS".equals(status) || "FAILED".equals(status) || "CANCELLED".equals(status), intOf(job.get("failed")) > 0, counts,
                time(job.get("created")), time(job.get("started")), time(job.get("finished")),
                longOf(job.get("created")), started, finished, updated == 0 ? null : time(Long.toString(updated)),
                started != null && finished != null ? (finished - started) / 1000.0 : null,
                job.get("params") == null ? Map.of() : JSON.readValue(job.get("params"), Map.class),
                job.get("outputs") == null ? List.of() : JSON.readValue(job.get("outputs"), List.class),
                job.get("pruned") == null ? List.of() : JSON.readValue(job.get("pruned"), List.class),
                job.get("reason"), job.get("retryOf"), job.get("rerunOf"), job.getOrDefault("trigger", "manual"), job.get("scheduled_for"), null, null,
                expiresAt(finished, longOf(job.get("retention"))));
    }

    /** When an ended job is removed: its end plus the retention it was submitted with; null while it runs (or kept for ever). */
    static String expiresAt(Long finishedUs, Long retentionMs) {
        return finishedUs == null || retentionMs == null || retentionMs <= 0 ? null : time(Long.toString(finishedUs + retentionMs * 1000));
    }

    /** One task of a job as created: its processor, pool and the data nodes it reads and writes. */
    public record TaskLayout(String node, String processor, String pool, List<String> inputs, List<String> outputs) {
    }

    /** The job's tasks as created (in task order), from their own records: what a job keeps of its pipeline. */
    public List<TaskLayout> layout(JobId id) throws Exception {
        List<String> nodes = redis.lrange(keys.nodes(id), 0, -1).get(10, TimeUnit.SECONDS);
        nodes.removeIf(JobRows::isItem);
        List<CompletableFuture<List<io.lettuce.core.KeyValue<String, String>>>> futures = new ArrayList<>();
        for (String node : nodes) {
            futures.add(redis.hmget(keys.task(id, node), "processor", "pool", "spec").toCompletableFuture());
        }
        List<TaskLayout> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            List<io.lettuce.core.KeyValue<String, String>> t = futures.get(i).get(10, TimeUnit.SECONDS);
            TaskSpec spec = JSON.readValue(t.get(2).getValueOrElse("{}"), TaskSpec.class);
            out.add(new TaskLayout(nodes.get(i), t.get(0).getValueOrElse(spec.processor()), t.get(1).getValueOrElse("default"),
                    spec.inputs() == null ? List.of() : spec.inputs(), spec.outputs() == null ? List.of() : spec.outputs()));
        }
        return out;
    }

    public record Consumable(byte[] bytes, String contentType) {
    }

    public Consumable consumable(JobId id, String dataNode) throws Exception {
        byte[] value = bytesRedis.hget(bytes(keys.data(id)), bytes(dataNode)).get(30, TimeUnit.SECONDS);
        if (value == null) {
            return null;
        }
        byte[] type = bytesRedis.hget(bytes(keys.contentTypes(id)), bytes(dataNode)).get(10, TimeUnit.SECONDS);
        return new Consumable(value, type == null ? "application/octet-stream" : new String(type, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Whether a job exists and who owns it (null: created without an owner). */
    public record Ownership(boolean exists, String owner) {
    }

    public Ownership ownership(JobId id) throws Exception {
        List<io.lettuce.core.KeyValue<String, String>> kv = redis.hmget(keys.job(id), "id", "owner").get(10, TimeUnit.SECONDS);
        return new Ownership(kv.get(0).hasValue(), kv.get(1).getValueOrElse(null));
    }

    /** The job's status and run ({@code status}, {@code run}), or null when there is no such job. */
    public Map<String, String> status(JobId id) throws Exception {
        List<io.lettuce.core.KeyValue<String, String>> v = redis.hmget(keys.job(id), "status", "run").get(10, TimeUnit.SECONDS);
        if (!v.get(0).hasValue()) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        out.put("status", v.get(0).getValue());
        out.put("run", v.get(1).getValueOrElse(null));
        return out;
    }

    public boolean exists(JobId id) throws Exception {
        return redis.exists(keys.job(id)).get(10, TimeUnit.SECONDS) > 0;
    }

    /** The most tasks a page of {@code GET /jobs/{id}/tasks} reads and a page's default size. */
    public static final int TASK_PAGE_MAX = 1_000;
    public static final int TASK_PAGE_DEFAULT = 100;
    /** The most tasks one filtered page examines (a filter that matches little answers a short page with a cursor). */
    public static final int TASK_SCAN_BUDGET = 5_000;
    /** How many tasks' states a filtered page reads at once. */
    private static final int TASK_SCAN_CHUNK = 1_000;

    /**
     * A page of the job's tasks in execution order (its {@code :nodes} list), from the position in
     * {@code after} (a {@link JobCursor} of this job; null: from the first task), only those in one of
     * {@code statuses} (empty: all). Costs O(page): one {@code LRANGE} of the slice and a pipelined
     * {@code HMGET} per task; with a filter, the tasks' states are read first, in chunks, and at most
     * {@link #TASK_SCAN_BUDGET} tasks are examined, so the page may be short (even empty) with a cursor.
     * The list is written once, when the job is created, so a position always names the same task.
     */
    public IndexScan.Page<TaskRow> tasksPage(JobId id, Set<String> statuses, String after, int pageSize) throws Exception {
        long start = 0;
        if (after != null) {
            String position = JobCursor.decode(JobCursor.TASKS, id, after);
            if (position == null) {
                throw Refusal.invalid("page_after: '" + after
                        + "' is not a cursor of this job's task listing (use next_page_after of the page before)", "page_after");
            }
            start = position.length() > 12 ? Long.MAX_VALUE : Long.parseLong(position);
        }
        String nodesKey = keys.nodes(id);
        long length = redis.llen(nodesKey).get(10, TimeUnit.SECONDS);
        List<String> picked = new ArrayList<>();
        long position = Math.min(start, length);
        if (statuses.isEmpty()) {
            if (position < length) {
                picked.addAll(redis.lrange(nodesKey, position, position + pageSize - 1).get(10, TimeUnit.SECONDS));
            }
            position += picked.size();
        } else {
            long examined = 0;
            while (picked.size() < pageSize && position < length && examined < TASK_SCAN_BUDGET) {
                long chunk = Math.min(TASK_SCAN_CHUNK, TASK_SCAN_BUDGET - examined);
                List<String> nodes = redis.lrange(nodesKey, position, position + chunk - 1).get(10, TimeUnit.SECONDS);
                if (nodes.isEmpty()) {
                    break;
                }
                List<CompletableFuture<String>> states = new ArrayList<>(nodes.size());
                for (String node : nodes) {
                    states.add(redis.hget(keys.task(id, node), "state").toCompletableFuture());
                }
                for (int i = 0; i < nodes.size() && picked.size() < pageSize; i++) {
                    examined++;
                    position++;
                    if (statuses.contains(states.get(i).get(30, TimeUnit.SECONDS))) {
                        picked.add(nodes.get(i));
                    }
                }
            }
        }
        String[] fields = JobRows.TASK_FIELDS.toArray(new String[0]);
        List<CompletableFuture<List<io.lettuce.core.KeyValue<String, String>>>> rows = new ArrayList<>(picked.size());
        for (String node : picked) {
            rows.add(redis.hmget(keys.task(id, node), fields).toCompletableFuture());
        }
        List<TaskRow> out = new ArrayList<>(picked.size());
        for (int i = 0; i < picked.size(); i++) {
            Map<String, String> t = new java.util.HashMap<>();
            for (io.lettuce.core.KeyValue<String, String> kv : rows.get(i).get(30, TimeUnit.SECONDS)) {
                if (kv.hasValue()) {
                    t.put(kv.getKey(), kv.getValue());
                }
            }
            // a task that changed state between the two reads no longer matches: left out, as a later page would;
            // one with no state was removed with its job meanwhile
            if (t.get("state") != null && (statuses.isEmpty() || statuses.contains(t.get("state")))) {
                out.add(JobRows.task(picked.get(i), t));
            }
        }
        return new IndexScan.Page<>(out, position < length ? JobCursor.encode(JobCursor.TASKS, id, position) : null);
    }

    /** A page of {@code GET /jobs/{id}/consumables}: the HSCAN {@code COUNT} hint's default and largest value. */
    public static final int CONSUMABLE_PAGE_MAX = 1_000;
    public static final int CONSUMABLE_PAGE_DEFAULT = 100;

    /**
     * A page of the job's consumables: data node, content type, size, and the value when it is small
     * ({@link JobRows#consumable}). Scans the job's content-type hash ({@code HSCAN}, {@code pageSize} as
     * the {@code COUNT} hint; the cursor in {@code after} is a {@link JobCursor} holding the HSCAN
     * cursor): it has the same fields as the data hash (both are written by the same scripts, in the
     * same step) but small values, so a page never moves a large consumable; sizes come from
     * {@code HSTRLEN} and only values of at most {@link JobRows#INLINE_MAX_BYTES} are read. As with
     * HSCAN, a page may hold more or fewer entries than asked (a small job answers in one page), and
     * a consumable written while a client pages may or may not show.
     */
    public IndexScan.Page<ConsumableRow> consumablesPage(JobId id, String after, int pageSize) throws Exception {
        String cursor = "0";
        if (after != null) {
            cursor = JobCursor.decode(JobCursor.CONSUMABLES, id, after);
            if (cursor == null) {
                throw Refusal.invalid("page_after: '" + after
                        + "' is not a cursor of this job's consumables listing (use next_page_after of the page before)", "page_after");
            }
        }
        io.lettuce.core.MapScanCursor<String, String> scan = redis.hscan(keys.contentTypes(id), io.lettuce.core.ScanCursor.of(cursor),
                io.lettuce.core.ScanArgs.Builder.limit(pageSize)).get(10, TimeUnit.SECONDS);
        List<String> nodes = new ArrayList<>(new java.util.TreeSet<>(scan.getMap().keySet()));
        String dataKey = keys.data(id);
        List<CompletableFuture<Long>> sizes = new ArrayList<>(nodes.size());
        for (String node : nodes) {
            sizes.add(redis.hstrlen(dataKey, node).toCompletableFuture());
        }
        List<CompletableFuture<byte[]>> values = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            long size = sizes.get(i).get(10, TimeUnit.SECONDS);
            // HSTRLEN answers 0 for a field that is not there: read those too, to tell empty from absent
            values.add(size <= JobRows.INLINE_MAX_BYTES
                    ? bytesRedis.hget(bytes(dataKey), bytes(nodes.get(i))).toCompletableFuture()
                    : CompletableFuture.completedFuture(null));
        }
        List<ConsumableRow> out = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            long size = sizes.get(i).get(10, TimeUnit.SECONDS);
            byte[] value = values.get(i).get(30, TimeUnit.SECONDS);
            if (size <= JobRows.INLINE_MAX_BYTES && value == null) {
                continue; // a content type without a value: nothing to show
            }
            out.add(JobRows.consumable(nodes.get(i), scan.getMap().get(nodes.get(i)), size, value));
        }
        return new IndexScan.Page<>(out, scan.isFinished() ? null : JobCursor.encode(JobCursor.CONSUMABLES, id, scan.getCursor()));
    }

    /** Whether the job has a task for this process node (a pruned node has none). */
    public boolean hasTask(JobId id, String node) throws Exception {
        return redis.exists(keys.task(id, node)).get(10, TimeUnit.SECONDS) > 0;
    }

    /** The job's status, progress and each task's state: what a log follower reports as {@code status} events. */
    public JobProgress progress(JobId id) throws Exception {
        Map<String, String> job = redis.hgetall(keys.job(id)).get(10, TimeUnit.SECONDS);
        if (job.isEmpty()) {
            return null;
        }
        List<String> nodes = redis.lrange(keys.nodes(id), 0, -1).get(10, TimeUnit.SECONDS);
        nodes.removeIf(JobRows::isItem);
        List<CompletableFuture<String>> states = new ArrayList<>();
        for (String n : nodes) {
            states.add(redis.hget(keys.task(id, n), "state").toCompletableFuture());
        }
        Map<String, String> tasks = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            tasks.put(nodes.get(i), states.get(i).get(10, TimeUnit.SECONDS));
        }
        return new JobProgress(job.get("status"), intOf(job.get("terminal")) + "/" + intOf(job.get("total")),
                Set.of("SUCCESS", "FAILED", "CANCELLED").contains(job.get("status")), tasks);
    }

    /** What a job listing may be narrowed to; an empty set does not narrow. */
    public record Filter(Set<String> statuses, Set<String> pipelines, Set<String> runs, Set<String> owners, Set<String> priorities,
                         Set<String> triggers) {
        public static final Filter NONE = new Filter(Set.of(), Set.of(), Set.of(), Set.of(), Set.of(), Set.of());

        public Filter(Set<String> statuses, Set<String> pipelines, Set<String> runs, Set<String> owners, Set<String> priorities) {
            this(statuses, pipelines, runs, owners, priorities, Set.of());
        }

        /** The same filter with these owners (below admin: the caller's own). */
        public Filter withOwners(Set<String> owners) {
            return new Filter(statuses, pipelines, runs, owners, priorities, triggers);
        }

        /** The same filter with these runs. */
        public Filter withRuns(Set<String> runs) {
            return new Filter(statuses, pipelines, runs, owners, priorities, triggers);
        }

        /** The same filter with these triggers ({@code manual}, {@code schedule}). */
        public Filter withTriggers(Set<String> triggers) {
            return new Filter(statuses, pipelines, runs, owners, priorities, triggers);
        }

        boolean accepts(Map<String, String> job) {
            return matches(statuses, job.get("status")) && matches(pipelines, job.get("pipeline")) && matches(runs, job.get("run"))
                    && matches(owners, job.get("owner")) && matches(priorities, job.get("priority"))
                    && matches(triggers, job.getOrDefault("trigger", "manual"));
        }

        private static boolean matches(Set<String> wanted, String value) {
            return wanted.isEmpty() || (value != null && wanted.contains(value));
        }
    }


    /**
     * A page of job summaries, newest first, from the position {@code after} names (an
     * {@link IndexScan.Position} cursor; null: from the newest).
     * Reads the narrowest index: the one run's or pipeline's job index when the filter names exactly
     * one, else every shard's.
     */
    public IndexScan.Page<JobView> page(Filter filter, String after, int pageSize) throws Exception {
        List<IndexScan.Source> sources = new ArrayList<>();
        if (filter.runs().size() == 1) {
            String key = keys.runJobs(new RunId(filter.runs().iterator().next()));
            sources.add(IndexScan.zset(redis, key));
        } else if (filter.pipelines().size() == 1) {
            String key = keys.pipelineJobs(filter.pipelines().iterator().next());
            sources.add(IndexScan.zset(redis, key));
        } else {
            for (int s = 0; s < keys.shards(); s++) {
                sources.add(IndexScan.zset(redis, keys.jobIndex(s)));
            }
        }
        IndexScan.Position from = null;
        if (after != null) {
            from = IndexScan.Position.decode(after);
            if (from == null) {
                throw Refusal.invalid("page_after: '" + after
                        + "' is not a cursor of this listing (use next_page_after of the page before)", "page_after");
            }
        }
        return IndexScan.page(sources, from, pageSize, IndexScan.BUDGET, ids -> summaries(ids, filter));
    }

    private List<JobView> summaries(List<String> ids, Filter filter) throws Exception {
        List<CompletableFuture<Map<String, String>>> futures = new ArrayList<>();
        for (String id : ids) {
            futures.add(redis.hgetall(keys.job(new JobId(id))).toCompletableFuture());
        }
        List<JobView> views = new ArrayList<>();
        List<CompletableFuture<List<String>>> stages = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            Map<String, String> job = futures.get(i).get(30, TimeUnit.SECONDS);
            if (job.isEmpty() || !filter.accepts(job)) {
                views.add(null);
                stages.add(null);
            } else {
                views.add(summary(job));
                stages.add(stage(new JobId(ids.get(i)), job.get("status")));
            }
        }
        List<JobView> out = new ArrayList<>(views.size());
        for (int i = 0; i < views.size(); i++) {
            out.add(views.get(i) == null ? null : views.get(i).with(null, stages.get(i).get(30, TimeUnit.SECONDS)));
        }
        return out;
    }

    /** Running tasks named in a view's {@code stage}, at most. */
    public static final int STAGE_SHOWN = 100;

    /**
     * The process nodes running now (none unless the job runs), from the set the scripts keep: as
     * cheap for a job of 100,000 tasks as for one of three. At most {@link #STAGE_SHOWN}, sorted;
     * {@code counts.running} says how many run.
     */
    private CompletableFuture<List<String>> stage(JobId id, String status) {
        if (!"RUNNING".equals(status) && !"CANCELLING".equals(status)) {
            return CompletableFuture.completedFuture(List.of());
        }
        return redis.sscan(keys.running(id), io.lettuce.core.ScanCursor.INITIAL, io.lettuce.core.ScanArgs.Builder.limit(STAGE_SHOWN))
                .toCompletableFuture().thenApply(cursor -> {
                    java.util.TreeSet<String> running = new java.util.TreeSet<>(cursor.getValues());
                    return running.stream().limit(STAGE_SHOWN).toList();
                });
    }

    private static int intOf(String s) {
        return s == null || s.isEmpty() ? 0 : Integer.parseInt(s);
    }

    private static Long longOf(String s) {
        return s == null || s.isEmpty() ? null : Long.parseLong(s);
    }

    private static String time(String micros) {
        Long us = longOf(micros);
        return us == null ? null : Instant.ofEpochSecond(us / 1_000_000, (us % 1_000_000) * 1000).toString();
    }
}
