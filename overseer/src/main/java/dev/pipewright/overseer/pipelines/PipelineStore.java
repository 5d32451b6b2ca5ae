package dev.pipewright.overseer.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.ProcessNode;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Versioned pipeline definitions in Redis: {@code <ns>:pipeline:<id>} holds the latest version
 * number and each version's source; re-posting the same name makes a new version. Parsed versions
 * are cached (a version never changes).
 */
public final class PipelineStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Keys keys;
    private final RedisAsyncCommands<String, String> redis;
    private final PipelineParser parser;
    private final Map<String, StoredPipeline> cache = new ConcurrentHashMap<>();
    private volatile Listener listener = Listener.NONE;

    /** Told of every version stored and every pipeline deleted, after the fact (the pipeline's schedule follows its latest version). */
    public interface Listener {
        Listener NONE = new Listener() {
            @Override
            public void saved(StoredPipeline stored, String owner) {
            }

            @Override
            public void deleted(String id) {
            }
        };

        /** A new version was stored; {@code owner} posted it. */
        void saved(StoredPipeline stored, String owner) throws Exception;

        void deleted(String id) throws Exception;
    }

    public PipelineStore(Keys keys, RedisAsyncCommands<String, String> redis, PipelineParser parser) {
        this.keys = keys;
        this.redis = redis;
        this.parser = parser;
    }

    /** The one listener told of stored versions and deleted pipelines. */
    public void listen(Listener listener) {
        this.listener = listener;
    }

    /** An id for a pipeline without a name: a digest of its text, so re-posting it versions it. */
    public static String idFor(String name, String source) {
        if (name != null) {
            return name;
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8));
            return "p-" + HexFormat.of().formatHex(d, 0, 6);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public StoredPipeline save(String id, PipelineParser.Result parsed, String source) throws Exception {
        return save(id, parsed, source, "anonymous");
    }

    /** Stores a new version; the pipeline's owner is whoever posted its first version. */
    public StoredPipeline save(String id, PipelineParser.Result parsed, String source, String owner) throws Exception {
        String key = keys.pipeline(id);
        long version = redis.hincrby(key, "latest", 1).get(10, TimeUnit.SECONDS);
        long now = System.currentTimeMillis();
        ObjectNode doc = JSON.createObjectNode();
        doc.put("source", source);
        doc.put("created_at", now);
        doc.put("owner", owner);
        doc.put("created_by", owner);
        redis.hset(key, Map.of("v:" + version, JSON.writeValueAsString(doc), "updated_at", Long.toString(now))).get(10, TimeUnit.SECONDS);
        redis.hsetnx(key, "created_at", Long.toString(now)).get(10, TimeUnit.SECONDS);
        redis.hsetnx(key, "owner", owner).get(10, TimeUnit.SECONDS);
        redis.zadd(keys.pipelineIndex(), now, id).get(10, TimeUnit.SECONDS);
        String[] pools = parsed.pipeline().processNodes().values().stream()
                .map(p -> p.pool() == null ? ProcessNode.DEFAULT_POOL : p.pool()).distinct().toArray(String[]::new);
        if (pools.length > 0) {
            redis.sadd(keys.pools(), pools).get(10, TimeUnit.SECONDS); // the pools the admin queue listing shows
        }
        StoredPipeline stored = new StoredPipeline(id, (int) version, parsed.pipeline(), new PipelineGraph(parsed.pipeline()), source, now);
        cache.put(id + "@" + version, stored);
        listener.saved(stored, owner);
        return stored;
    }

    /** The given version (latest when null), or null when there is none. */
    public StoredPipeline find(String id, Integer version) throws Exception {
        String key = keys.pipeline(id);
        int v;
        if (version == null) {
            String latest = redis.hget(key, "latest").get(10, TimeUnit.SECONDS);
            if (latest == null) {
                return null;
            }
            v = Integer.parseInt(latest);
        } else {
            v = version;
        }
        StoredPipeline cached = cache.get(id + "@" + v);
        if (cached != null) {
            return cached;
        }
        String docText = redis.hget(key, "v:" + v).get(10, TimeUnit.SECONDS);
        if (docText == null) {
            return null;
        }
        var doc = JSON.readTree(docText);
        String source = doc.get("source").asText();
        PipelineParser.Result parsed = parser.parseAccepted(source);
        if (!parsed.valid()) {
            throw new IllegalStateException("stored pipeline " + id + " v" + v + " no longer parses: " + parsed.problems());
        }
        StoredPipeline stored = new StoredPipeline(id, v, parsed.pipeline(), new PipelineGraph(parsed.pipeline()), source,
                doc.get("created_at").asLong());
        cache.put(id + "@" + v, stored);
        return stored;
    }

    public record Summary(String id, int latestVersion, long createdAt, long updatedAt, String owner) {
    }

    public List<Summary> list(int limit) throws Exception {
        return summaries(redis.zrevrange(keys.pipelineIndex(), 0, limit - 1).get(10, TimeUnit.SECONDS));
    }

    /** Summaries of these ids, in order, null for one that is gone. */
    public List<Summary> summaries(List<String> ids) throws Exception {
        List<java.util.concurrent.CompletableFuture<List<io.lettuce.core.KeyValue<String, String>>>> futures = new ArrayList<>();
        for (String id : ids) {
            futures.add(redis.hmget(keys.pipeline(id), "latest", "created_at", "updated_at", "owner").toCompletableFuture());
        }
        List<Summary> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            List<io.lettuce.core.KeyValue<String, String>> h = futures.get(i).get(10, TimeUnit.SECONDS);
            if (!h.get(0).hasValue()) {
                out.add(null);
                continue;
            }
            out.add(new Summary(ids.get(i), Integer.parseInt(h.get(0).getValue()), Long.parseLong(h.get(1).getValueOrElse("0")),
                    Long.parseLong(h.get(2).getValueOrElse("0")), h.get(3).getValueOrElse("anonymous")));
        }
        return out;
    }

    public dev.pipewright.overseer.paging.IndexScan.Source index() {
        return dev.pipewright.overseer.paging.IndexScan.zset(redis, keys.pipelineIndex());
    }

    public Double score(String id) throws Exception {
        return redis.zscore(keys.pipelineIndex(), id).get(10, TimeUnit.SECONDS);
    }

    /** The owner and update time of a pipeline (null when there is none). */
    public Summary summary(String id) throws Exception {
        return summaries(List.of(id)).get(0);
    }

    public record Version(int version, long createdAt, String owner) {
    }

    /** Every stored version, oldest first (empty when there is no such pipeline). */
    public List<Version> versions(String id) throws Exception {
        Map<String, String> h = redis.hgetall(keys.pipeline(id)).get(10, TimeUnit.SECONDS);
        List<Version> out = new ArrayList<>();
        for (Map.Entry<String, String> e : h.entrySet()) {
            if (e.getKey().startsWith("v:")) {
                var doc = JSON.readTree(e.getValue());
                out.add(new Version(Integer.parseInt(e.getKey().substring(2)), doc.path("created_at").asLong(),
                        doc.path("owner").asText(h.getOrDefault("owner", "anonymous"))));
            }
        }
        out.sort(java.util.Comparator.comparingInt(Version::version));
        return out;
    }

    /** The pipeline's jobs that have not ended (at most {@code limit}). */
    public List<String> activeJobs(String id, int limit) throws Exception {
        List<String> ids = redis.zrange(keys.pipelineJobs(id), 0, -1).get(10, TimeUnit.SECONDS);
        List<java.util.concurrent.CompletableFuture<String>> states = new ArrayList<>();
        for (String j : ids) {
            states.add(redis.hget(keys.job(new dev.pipewright.protocol.keys.JobId(j)), "status").toCompletableFuture());
        }
        List<String> active = new ArrayList<>();
        for (int i = 0; i < ids.size() && active.size() < limit; i++) {
            String st = states.get(i).get(10, TimeUnit.SECONDS);
            if (st != null && !java.util.Set.of("SUCCESS", "FAILED", "CANCELLED").contains(st)) {
                active.add(ids.get(i));
            }
        }
        return active;
    }

    /**
     * Deletes every version of a pipeline (its jobs stay readable). The caller checked that none of
     * its jobs runs; a job submitted in between still runs from its own copy of the plan.
     */
    public boolean delete(String id) throws Exception {
        long n = redis.del(keys.pipeline(id), keys.pipelineJobs(id)).get(10, TimeUnit.SECONDS);
        redis.zrem(keys.pipelineIndex(), id).get(10, TimeUnit.SECONDS);
        cache.keySet().removeIf(k -> k.startsWith(id + "@"));
        listener.deleted(id);
        return n > 0;
    }
}
