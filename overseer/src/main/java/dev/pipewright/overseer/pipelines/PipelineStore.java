package dev.pipewright.overseer.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.infra.redis.Script;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.ProcessNode;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static dev.pipewright.infra.redis.Scripts.bytes;

/**
 * Versioned pipeline definitions in Redis. {@code <ns>:pipeline:<id>} holds the version counter,
 * each version's source, the owner, the tombstone of a delete and the jobs being submitted; every
 * change of it is one step of {@code pipeline.lua}. Version numbers never restart: a pipeline
 * posted again after a delete goes on from the old counter, so a job's (pipeline, version) always
 * names the source it ran. A delete hides the pipeline and its versions from the pipeline API but
 * keeps the versions its jobs refer to ({@link #findForJob}), and the pipeline's job index.
 * Parsed versions are cached (a version never changes).
 */
public final class PipelineStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ENDED = Set.of("SUCCESS", "FAILED", "CANCELLED");
    /** A job recorded as being submitted but never created is taken as given up after this long. */
    static final long RESERVATION_GRACE_MS = 120_000;
    /** Above this many jobs recorded live, a submit prunes the ended ones. */
    static final int PRUNE_ABOVE = 64;

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Scripts scripts;
    private final PipelineParser parser;
    private final Map<String, StoredPipeline> cache = new ConcurrentHashMap<>();
    private final Set<String> pruning = ConcurrentHashMap.newKeySet();
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

    public PipelineStore(Keys keys, RedisClusterAsyncCommands<String, String> redis, Scripts scripts, PipelineParser parser) {
        this.keys = keys;
        this.redis = redis;
        this.scripts = scripts;
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

    private List<String> run(String id, String... args) throws Exception {
        byte[][] argv = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            argv[i] = bytes(args[i]);
        }
        List<Object> raw = scripts.<List<Object>>run(Script.PIPELINE, ScriptOutputType.MULTI, Scripts.keys(keys.pipeline(id)), argv)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<String> out = new ArrayList<>(raw.size());
        raw.forEach(o -> out.add(Scripts.text(o)));
        return out;
    }

    private static Refusal notYours(String id, String owner, String what) {
        return Refusal.forbidden("pipeline '" + id + "' belongs to owner '" + owner + "'; only its owner or an admin may " + what,
                null);
    }

    /**
     * Stores a new version posted by {@code owner}. A pipeline of someone else takes a new version
     * only from an admin (403 otherwise); after a delete the id is free and the poster owns it.
     */
    public StoredPipeline save(String id, PipelineParser.Result parsed, String source, String owner, boolean admin) throws Exception {
        return saveVersion(id, parsed, source, owner, admin).pipeline();
    }

    /** A save's outcome: the version stored, or the latest one when the source was the same ({@code added} false). */
    public record Saved(StoredPipeline pipeline, boolean added) {
    }

    /** Stores a new version, unless the source is the latest version's: then that version, and nothing changes. */
    public Saved saveVersion(String id, PipelineParser.Result parsed, String source, String owner, boolean admin) throws Exception {
        long now = System.currentTimeMillis();
        ObjectNode doc = JSON.createObjectNode();
        doc.put("source", source);
        doc.put("created_at", now);
        doc.put("owner", owner);
        doc.put("created_by", owner);
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8)));
        List<String> r = run(id, "save", owner, admin ? "1" : "0", JSON.writeValueAsString(doc), Long.toString(now), digest);
        if ("forbidden".equals(r.get(0))) {
            throw notYours(id, r.get(1), "post a new version of it");
        }
        int version = Integer.parseInt(r.get(1));
        if ("same".equals(r.get(0))) {
            StoredPipeline latest = load(id, version);
            if (latest != null) {
                return new Saved(latest, false);
            }
        }
        redis.zadd(keys.pipelineIndex(), now, id).get(10, TimeUnit.SECONDS);
        recordPools(id, parsed.pipeline());
        StoredPipeline stored = new StoredPipeline(id, version, parsed.pipeline(), new PipelineGraph(parsed.pipeline()), source, now);
        cache.put(id + "@" + version, stored);
        listener.saved(stored, owner);
        return new Saved(stored, true);
    }

    /**
     * The given version (latest when null) as the pipeline API shows it; null when there is no such
     * pipeline or version, or it was deleted.
     */
    public StoredPipeline find(String id, Integer version) throws Exception {
        List<KeyValue<String, String>> h = redis.hmget(keys.pipeline(id), "latest", "first", "deleted").get(10, TimeUnit.SECONDS);
        if (!h.get(0).hasValue() || h.get(2).hasValue()) {
            return null;
        }
        int latest = Integer.parseInt(h.get(0).getValue());
        int first = Integer.parseInt(h.get(1).getValueOrElse("1"));
        int v = version == null ? latest : version;
        if (v < first || v > latest) {
            return null;
        }
        return load(id, v);
    }

    /** The version a job was made from, deleted or not; null only when it is not stored (deleted before versions were kept). */
    public StoredPipeline findForJob(String id, int version) throws Exception {
        return load(id, version);
    }

    private StoredPipeline load(String id, int v) throws Exception {
        StoredPipeline cached = cache.get(id + "@" + v);
        if (cached != null) {
            return cached;
        }
        String docText = redis.hget(keys.pipeline(id), "v:" + v).get(10, TimeUnit.SECONDS);
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

    /** Summaries of these ids, in order, null for one that is gone or deleted. */
    public List<Summary> summaries(List<String> ids) throws Exception {
        List<CompletableFuture<List<KeyValue<String, String>>>> futures = new ArrayList<>();
        for (String id : ids) {
            futures.add(redis.hmget(keys.pipeline(id), "latest", "created_at", "updated_at", "owner", "deleted").toCompletableFuture());
        }
        List<Summary> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            List<KeyValue<String, String>> h = futures.get(i).get(10, TimeUnit.SECONDS);
            if (!h.get(0).hasValue() || h.get(4).hasValue()) {
                out.add(null);
                continue;
            }
            out.add(new Summary(ids.get(i), Integer.parseInt(h.get(0).getValue()), Long.parseLong(h.get(1).getValueOrElse("0")),
                    Long.parseLong(h.get(2).getValueOrElse("0")), h.get(3).getValueOrElse("anonymous")));
        }
        return out;
    }

    public IndexScan.Source index() {
        return IndexScan.zset(redis, keys.pipelineIndex());
    }

    /** The owner and update time of a pipeline (null when there is none). */
    public Summary summary(String id) throws Exception {
        return summaries(List.of(id)).get(0);
    }

    public record Version(int version, long createdAt, String owner) {
    }

    /** The versions the pipeline API shows (since the last delete), oldest first; empty when there is no such pipeline. */
    public List<Version> versions(String id) throws Exception {
        Map<String, String> h = redis.hgetall(keys.pipeline(id)).get(10, TimeUnit.SECONDS);
        List<Version> out = new ArrayList<>();
        if (h.containsKey("deleted")) {
            return out;
        }
        int first = Integer.parseInt(h.getOrDefault("first", "1"));
        for (Map.Entry<String, String> e : h.entrySet()) {
            if (e.getKey().startsWith("v:") && Integer.parseInt(e.getKey().substring(2)) >= first) {
                var doc = JSON.readTree(e.getValue());
                out.add(new Version(Integer.parseInt(e.getKey().substring(2)), doc.path("created_at").asLong(),
                        doc.path("owner").asText(h.getOrDefault("owner", "anonymous"))));
            }
        }
        out.sort(java.util.Comparator.comparingInt(Version::version));
        return out;
    }

    /**
     * Records that job {@code job} is being submitted to this version, atomically with the checks
     * that the pipeline and the version have not been deleted (409 otherwise): a delete either
     * sees this job or this submit sees the delete. {@link #unreserve} when the job is not created.
     */
    public void reserve(StoredPipeline p, JobId job) throws Exception {
        List<String> r = run(p.id(), "reserve", job.value(), Integer.toString(p.version()), Long.toString(System.currentTimeMillis()));
        switch (r.get(0)) {
            case "deleted" -> throw Refusal.conflict("pipeline '" + p.id() + "' was deleted; it takes no new jobs");
            case "gone" -> throw Refusal.conflict("version " + p.version() + " of pipeline '" + p.id() + "' was deleted; it takes no new jobs");
            default -> {
                String id = p.id();
                // one pruning at a time per pipeline, however fast jobs are submitted
                if (Integer.parseInt(r.get(1)) > PRUNE_ABOVE && pruning.add(id)) {
                    Thread.ofVirtual().name("prune-" + id).start(() -> {
                        try {
                            pruneLive(id);
                        } catch (Exception e) {
                            org.slf4j.LoggerFactory.getLogger(PipelineStore.class).debug("pruning jobs of pipeline {}: {}", id, e.toString());
                        } finally {
                            pruning.remove(id);
                        }
                    });
                }
            }
        }
    }

    /** Forgets a reservation whose job was not created (the submit failed). */
    public void unreserve(String id, JobId job) throws Exception {
        redis.hdel(keys.pipeline(id), "live:" + job.value()).get(10, TimeUnit.SECONDS);
    }

    /** Drops the live records of jobs that ended; returns the ids of those that may still run. */
    List<String> pruneLive(String id) throws Exception {
        List<String> ids = new ArrayList<>();
        for (String f : redis.hkeys(keys.pipeline(id)).get(10, TimeUnit.SECONDS)) {
            if (f.startsWith("live:")) {
                ids.add(f.substring(5));
            }
        }
        return prune(id, ids);
    }

    private List<String> prune(String id, List<String> jobIds) throws Exception {
        String key = keys.pipeline(id);
        List<CompletableFuture<String>> states = new ArrayList<>();
        List<CompletableFuture<String>> reserved = new ArrayList<>();
        for (String j : jobIds) {
            states.add(JobId.isValid(j) ? redis.hget(keys.job(new JobId(j)), "status").toCompletableFuture()
                    : CompletableFuture.completedFuture("FAILED"));
            reserved.add(redis.hget(key, "live:" + j).toCompletableFuture());
        }
        long now = System.currentTimeMillis();
        List<String> active = new ArrayList<>();
        List<String> ended = new ArrayList<>();
        for (int i = 0; i < jobIds.size(); i++) {
            String status = states.get(i).get(10, TimeUnit.SECONDS);
            String at = reserved.get(i).get(10, TimeUnit.SECONDS);
            boolean abandoned = status == null && (at == null || now - Long.parseLong(at) > RESERVATION_GRACE_MS);
            // an ended job never runs again (a re-run is a new job), so dropping its record is safe
            if ((status != null && ENDED.contains(status)) || abandoned) {
                ended.add("live:" + jobIds.get(i));
            } else {
                active.add(jobIds.get(i));
            }
        }
        if (!ended.isEmpty()) {
            redis.hdel(key, ended.toArray(new String[0])).get(10, TimeUnit.SECONDS);
        }
        return active;
    }

    /** The pipeline's jobs (from its job index) that have not ended, at most {@code limit}. */
    private List<String> activeJobs(String id, int limit) throws Exception {
        List<String> ids = redis.zrange(keys.pipelineJobs(id), 0, -1).get(30, TimeUnit.SECONDS);
        List<CompletableFuture<String>> states = new ArrayList<>();
        for (String j : ids) {
            states.add(JobId.isValid(j) ? redis.hget(keys.job(new JobId(j)), "status").toCompletableFuture()
                    : CompletableFuture.completedFuture(null));
        }
        List<String> active = new ArrayList<>();
        for (int i = 0; i < ids.size() && active.size() < limit; i++) {
            String st = states.get(i).get(30, TimeUnit.SECONDS);
            if (st != null && !ENDED.contains(st)) {
                active.add(ids.get(i));
            }
        }
        return active;
    }

    /** What a delete did: the last version number and how many versions the pipeline API showed. */
    public record Deleted(int latestVersion, int versions) {
    }

    /**
     * Deletes a pipeline, atomically against submissions (pipeline.lua): refused with 409 naming
     * them while any of its jobs may still run (READY, PENDING, RUNNING, CANCELLING, or being
     * submitted), 403 for someone else's pipeline below admin; null when there is no such pipeline.
     * Its ended jobs stay readable with the versions they ran, and so does its job index.
     */
    public Deleted delete(String id, String owner, boolean admin) throws Exception {
        // someone else's pipeline: refused before anything about its jobs is said (the script checks again)
        String holder = redis.hget(keys.pipeline(id), "owner").get(10, TimeUnit.SECONDS);
        if (!admin && holder != null && !holder.equals(owner)) {
            throw notYours(id, holder, "delete it");
        }
        // jobs submitted before submissions were recorded in the pipeline's hash: read the job index
        List<String> running = activeJobs(id, 10);
        if (!running.isEmpty()) {
            throw Refusal.conflict("pipeline '" + id + "' has jobs that have not ended: " + String.join(", ", running)
                    + (running.size() == 10 ? ", ..." : "") + "; cancel them or wait for them to end");
        }
        for (int round = 0; round < 5; round++) {
            List<String> r = run(id, "delete", owner, admin ? "1" : "0", Long.toString(System.currentTimeMillis()));
            switch (r.get(0)) {
                case "gone" -> {
                    return null;
                }
                case "forbidden" -> throw notYours(id, r.get(1), "delete it");
                case "active" -> {
                    List<String> active = prune(id, r.subList(1, r.size()));
                    if (!active.isEmpty()) {
                        List<String> named = active.subList(0, Math.min(10, active.size()));
                        throw Refusal.conflict("pipeline '" + id + "' has jobs that have not ended: " + String.join(", ", named)
                                + (active.size() > named.size() ? ", ..." : "") + "; cancel them or wait for them to end");
                    }
                    // every job recorded had ended: try again (a new submit may have come in meanwhile)
                }
                default -> {
                    int latest = Integer.parseInt(r.get(1));
                    int first = Integer.parseInt(r.get(2));
                    redis.zrem(keys.pipelineIndex(), id).get(10, TimeUnit.SECONDS);
                    redis.hdel(keys.pipelinePools(), id).get(10, TimeUnit.SECONDS);
                    dropUnreferenced(id, first, latest);
                    listener.deleted(id);
                    return new Deleted(latest, latest - first + 1);
                }
            }
        }
        throw Refusal.conflict("pipeline '" + id + "' keeps taking new jobs; try the delete again");
    }

    /**
     * Records the pools the pipeline's latest version names, replacing its earlier version's: the
     * pool listings show the pools some pipeline names now, so a pool no pipeline names any more
     * (a version moved its nodes, or its pipeline was deleted) leaves them.
     */
    private void recordPools(String id, dev.pipewright.protocol.pipeline.Pipeline pipeline) throws Exception {
        String pools = String.join(",", pipeline.processNodes().values().stream()
                .map(p -> p.pool() == null ? ProcessNode.DEFAULT_POOL : p.pool()).distinct().sorted().toList());
        redis.hset(keys.pipelinePools(), id, pools).get(10, TimeUnit.SECONDS);
    }

    /**
     * Fills the pipeline → pools record from the stored pipelines once, where an older overseer kept
     * only the set of every pool ever named; then drops that set. Run at start-up; harmless twice.
     */
    public void recordPoolsOfStoredPipelines() throws Exception {
        if (redis.exists(keys.pipelinePools()).get(10, TimeUnit.SECONDS) > 0) {
            return;
        }
        for (String id : redis.zrange(keys.pipelineIndex(), 0, -1).get(60, TimeUnit.SECONDS)) {
            StoredPipeline latest = find(id, null);
            if (latest != null) {
                recordPools(id, latest.pipeline());
            }
        }
        redis.del(keys.pools()).get(10, TimeUnit.SECONDS);
    }

    /** Removes the deleted versions {@code first..latest} that none of the pipeline's jobs ran. */
    private void dropUnreferenced(String id, int first, int latest) throws Exception {
        List<String> jobIds = redis.zrange(keys.pipelineJobs(id), 0, -1).get(30, TimeUnit.SECONDS);
        Set<Integer> referenced = new TreeSet<>();
        for (int from = 0; from < jobIds.size(); from += 1000) {
            List<CompletableFuture<List<KeyValue<String, String>>>> futures = new ArrayList<>();
            for (String j : jobIds.subList(from, Math.min(jobIds.size(), from + 1000))) {
                if (JobId.isValid(j)) {
                    futures.add(redis.hmget(keys.job(new JobId(j)), "pipeline", "version").toCompletableFuture());
                }
            }
            for (CompletableFuture<List<KeyValue<String, String>>> f : futures) {
                List<KeyValue<String, String>> kv = f.get(30, TimeUnit.SECONDS);
                if (id.equals(kv.get(0).getValueOrElse(null)) && kv.get(1).hasValue()) {
                    referenced.add(Integer.parseInt(kv.get(1).getValue()));
                }
            }
        }
        List<String> drop = new ArrayList<>();
        for (int v = first; v <= latest; v++) {
            if (!referenced.contains(v)) {
                drop.add("v:" + v);
                cache.remove(id + "@" + v);
            }
        }
        if (!drop.isEmpty()) {
            redis.hdel(keys.pipeline(id), drop.toArray(new String[0])).get(10, TimeUnit.SECONDS);
        }
    }
}
