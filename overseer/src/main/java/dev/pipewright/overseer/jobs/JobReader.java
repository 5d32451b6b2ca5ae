package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.pipewright.infra.redis.Scripts.bytes;

/** Reads jobs, their tasks, consumables and logs for the API. */
public final class JobReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Keys keys;
    private final RedisAsyncCommands<String, String> redis;
    private final RedisAsyncCommands<byte[], byte[]> bytesRedis;

    public JobReader(Keys keys, RedisAsyncCommands<String, String> redis, RedisAsyncCommands<byte[], byte[]> bytesRedis) {
        this.keys = keys;
        this.redis = redis;
        this.bytesRedis = bytesRedis;
    }

    /** The job as the API shows it, or null when there is no such job. */
    public Map<String, Object> get(JobId id, boolean withTasks) throws Exception {
        Map<String, String> job = redis.hgetall(keys.job(id)).get(10, TimeUnit.SECONDS);
        if (job.isEmpty()) {
            return null;
        }
        Map<String, Object> view = summary(job);
        if (withTasks) {
            List<String> nodes = redis.lrange(keys.nodes(id), 0, -1).get(10, TimeUnit.SECONDS);
            List<CompletableFuture<Map<String, String>>> futures = new ArrayList<>();
            for (String node : nodes) {
                futures.add(redis.hgetall(keys.task(id, node)).toCompletableFuture());
            }
            List<Map<String, Object>> tasks = new ArrayList<>();
            List<String> stage = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                Map<String, String> t = futures.get(i).get(30, TimeUnit.SECONDS);
                Map<String, Object> tv = new LinkedHashMap<>();
                tv.put("node", nodes.get(i));
                tv.put("processor", t.get("processor"));
                tv.put("pool", t.get("pool"));
                tv.put("status", t.get("state"));
                tv.put("attempts", intOf(t.get("attempts")));
                tv.put("worker", t.get("worker"));
                tv.put("started_at", time(t.get("started")));
                tv.put("ended_at", time(t.get("ended")));
                tv.put("started_us", longOf(t.get("started")));
                tv.put("ended_us", longOf(t.get("ended")));
                tv.put("error", t.get("error"));
                if ("1".equals(t.get("held")) && "READY".equals(t.get("state"))) {
                    tv.put("waiting_for", "a slot of processor '" + t.get("processor") + "' (concurrency limit)");
                }
                if (t.get("reused") != null) {
                    tv.put("reused_from", t.get("reused"));
                }
                tasks.add(tv);
                if ("RUNNING".equals(t.get("state"))) {
                    stage.add(nodes.get(i));
                }
            }
            view.put("stage", stage);
            view.put("tasks", tasks);
        }
        return view;
    }

    private static Map<String, Object> summary(Map<String, String> job) throws Exception {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", job.get("id"));
        view.put("pipeline_id", job.get("pipeline"));
        view.put("pipeline_version", intOf(job.get("version")));
        view.put("status", job.get("status"));
        view.put("priority", job.getOrDefault("priority", "medium"));
        int total = intOf(job.get("total"));
        int terminal = intOf(job.get("terminal"));
        view.put("progress", terminal + "/" + total);
        view.put("finished", "SUCCESS".equals(job.get("status")) || "FAILED".equals(job.get("status")) || "CANCELLED".equals(job.get("status")));
        view.put("errored", intOf(job.get("failed")) > 0);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("total", total);
        counts.put("succeeded", intOf(job.get("succeeded")));
        counts.put("failed", intOf(job.get("failed")));
        counts.put("skipped", intOf(job.get("skipped")));
        counts.put("cancelled", intOf(job.get("cancelled")));
        view.put("counts", counts);
        view.put("created_at", time(job.get("created")));
        view.put("started_at", time(job.get("started")));
        view.put("finished_at", time(job.get("finished")));
        Long started = longOf(job.get("started"));
        Long finished = longOf(job.get("finished"));
        view.put("duration_ms", started != null && finished != null ? (finished - started) / 1000.0 : null);
        view.put("parameters", job.get("params") == null ? Map.of() : JSON.readValue(job.get("params"), Map.class));
        view.put("outputs", job.get("outputs") == null ? List.of() : JSON.readValue(job.get("outputs"), List.class));
        view.put("pruned", job.get("pruned") == null ? List.of() : JSON.readValue(job.get("pruned"), List.class));
        if (job.get("reason") != null) {
            view.put("reason", job.get("reason"));
        }
        if (job.get("retryOf") != null) {
            view.put("retry_of", job.get("retryOf"));
        }
        view.put("owner", job.get("owner"));
        return view;
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

    public boolean exists(JobId id) throws Exception {
        return redis.exists(keys.job(id)).get(10, TimeUnit.SECONDS) > 0;
    }

    /** Log lines of each task (or of one node), in task order. */
    public Map<String, List<String>> logs(JobId id, String onlyNode) throws Exception {
        List<String> nodes = onlyNode != null ? List.of(onlyNode) : redis.lrange(keys.nodes(id), 0, -1).get(10, TimeUnit.SECONDS);
        Map<String, CompletableFuture<List<String>>> futures = new LinkedHashMap<>();
        for (String node : nodes) {
            futures.put(node, redis.lrange(keys.taskLog(id, node), 0, -1).toCompletableFuture());
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, CompletableFuture<List<String>>> e : futures.entrySet()) {
            List<String> lines = e.getValue().get(10, TimeUnit.SECONDS);
            if (!lines.isEmpty()) {
                out.put(e.getKey(), lines);
            }
        }
        return out;
    }

    /** At most this many jobs are looked at for one filtered listing. */
    private static final int MAX_SCANNED = 20_000;

    /**
     * The newest jobs across all shards whose owner is {@code owner} (null: every job). Walks the
     * shards' indexes newest first, a page at a time, so a filtered listing still fills its limit.
     */
    public List<Map<String, Object>> list(int limit, String owner) throws Exception {
        if (owner == null) {
            return list(limit);
        }
        int page = Math.max(limit, 200);
        int shards = keys.shards();
        List<java.util.ArrayDeque<ScoredValue<String>>> heads = new ArrayList<>();
        long[] offsets = new long[shards];
        boolean[] exhausted = new boolean[shards];
        for (int s = 0; s < shards; s++) {
            heads.add(new java.util.ArrayDeque<>());
        }
        List<Map<String, Object>> out = new ArrayList<>();
        int scanned = 0;
        while (out.size() < limit && scanned < MAX_SCANNED) {
            int best = -1;
            for (int s = 0; s < shards; s++) {
                if (heads.get(s).isEmpty() && !exhausted[s]) {
                    List<ScoredValue<String>> more = redis.zrevrangeWithScores(keys.jobIndex(s), offsets[s], offsets[s] + page - 1)
                            .get(10, TimeUnit.SECONDS);
                    offsets[s] += more.size();
                    exhausted[s] = more.size() < page;
                    heads.get(s).addAll(more);
                }
                if (!heads.get(s).isEmpty() && (best < 0 || heads.get(s).peekFirst().getScore() > heads.get(best).peekFirst().getScore())) {
                    best = s;
                }
            }
            if (best < 0) {
                break;
            }
            String id = heads.get(best).pollFirst().getValue();
            scanned++;
            Map<String, String> job = redis.hgetall(keys.job(new JobId(id))).get(10, TimeUnit.SECONDS);
            if (!job.isEmpty() && owner.equals(job.get("owner"))) {
                out.add(summary(job));
            }
        }
        return out;
    }

    /** The newest jobs across all shards. */
    public List<Map<String, Object>> list(int limit) throws Exception {
        List<ScoredValue<String>> all = new ArrayList<>();
        for (int s = 0; s < keys.shards(); s++) {
            all.addAll(redis.zrevrangeWithScores(keys.jobIndex(s), 0, limit - 1).get(10, TimeUnit.SECONDS));
        }
        all.sort(Comparator.comparingDouble((ScoredValue<String> v) -> v.getScore()).reversed());
        List<Map<String, Object>> out = new ArrayList<>();
        for (ScoredValue<String> v : all.subList(0, Math.min(limit, all.size()))) {
            Map<String, String> job = redis.hgetall(keys.job(new JobId(v.getValue()))).get(10, TimeUnit.SECONDS);
            if (!job.isEmpty()) {
                out.add(summary(job));
            }
        }
        return out;
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
