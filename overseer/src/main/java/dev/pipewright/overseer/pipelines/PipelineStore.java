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

    public PipelineStore(Keys keys, RedisAsyncCommands<String, String> redis, PipelineParser parser) {
        this.keys = keys;
        this.redis = redis;
        this.parser = parser;
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
        return save(id, parsed, source, null);
    }

    /** Saves a new version, recording who posted it ({@code created_by} in the version's document) when known. */
    public StoredPipeline save(String id, PipelineParser.Result parsed, String source, String owner) throws Exception {
        String key = keys.pipeline(id);
        long version = redis.hincrby(key, "latest", 1).get(10, TimeUnit.SECONDS);
        long now = System.currentTimeMillis();
        ObjectNode doc = JSON.createObjectNode();
        doc.put("source", source);
        doc.put("created_at", now);
        if (owner != null) {
            doc.put("created_by", owner);
        }
        redis.hset(key, Map.of("v:" + version, JSON.writeValueAsString(doc), "updated_at", Long.toString(now))).get(10, TimeUnit.SECONDS);
        redis.hsetnx(key, "created_at", Long.toString(now)).get(10, TimeUnit.SECONDS);
        redis.zadd(keys.pipelineIndex(), now, id).get(10, TimeUnit.SECONDS);
        String[] pools = parsed.pipeline().processNodes().values().stream()
                .map(p -> p.pool() == null ? ProcessNode.DEFAULT_POOL : p.pool()).distinct().toArray(String[]::new);
        if (pools.length > 0) {
            redis.sadd(keys.pools(), pools).get(10, TimeUnit.SECONDS); // the pools the admin queue listing shows
        }
        StoredPipeline stored = new StoredPipeline(id, (int) version, parsed.pipeline(), new PipelineGraph(parsed.pipeline()), source, now);
        cache.put(id + "@" + version, stored);
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
        PipelineParser.Result parsed = parser.parse(source);
        if (!parsed.valid()) {
            throw new IllegalStateException("stored pipeline " + id + " v" + v + " no longer parses: " + parsed.problems());
        }
        StoredPipeline stored = new StoredPipeline(id, v, parsed.pipeline(), new PipelineGraph(parsed.pipeline()), source,
                doc.get("created_at").asLong());
        cache.put(id + "@" + v, stored);
        return stored;
    }

    public record Summary(String id, int latestVersion, long createdAt, long updatedAt) {
    }

    public List<Summary> list(int limit) throws Exception {
        List<String> ids = redis.zrevrange(keys.pipelineIndex(), 0, limit - 1).get(10, TimeUnit.SECONDS);
        List<Summary> out = new ArrayList<>();
        for (String id : ids) {
            Map<String, String> h = redis.hmget(keys.pipeline(id), "latest", "created_at", "updated_at").get(10, TimeUnit.SECONDS)
                    .stream().collect(java.util.stream.Collectors.toMap(kv -> kv.getKey(), kv -> kv.getValueOrElse("0")));
            out.add(new Summary(id, Integer.parseInt(h.get("latest")), Long.parseLong(h.get("created_at")), Long.parseLong(h.get("updated_at"))));
        }
        return out;
    }
}
