package dev.pipewright.worker.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.state.ClaimReply;
import dev.pipewright.infra.state.CommitReply;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.ContentTypes;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.message.TaskSpec;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static dev.pipewright.infra.redis.Scripts.bytes;


/** The worker's side of the Redis state: claim, commit, lease renewal, task logs, registration. */
public final class AttemptStore {
    /** Lines kept per attempt. */
    public static final int LOG_LINES_KEPT = 2000;
    public static final int LOG_LINE_MAX = 4096;
    /** Lines kept in a job's log stream (all its tasks together, approximately). */
    public static final int LOG_STREAM_KEPT = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final Keys keys;
    private final StateGateway state;
    private final RedisClusterAsyncCommands<byte[], byte[]> redis;

    public AttemptStore(Keys keys, RedisLink<byte[], byte[]> connection) {
        this.keys = keys;
        this.state = new StateGateway(keys, connection, CALL_TIMEOUT);
        this.redis = connection.async();
    }

    /** One message to claim, with the id of the attempt it would start. */
    public record ClaimRequest(TaskMessage message, String attemptId) {
    }

    /**
     * Claims a batch of messages of one shard in one call; the answers come in the same order. A
     * claimed attempt's spec and parameters are parsed here; one that cannot be parsed is answered
     * as a missing input would be (the attempt fails for good, with the reason).
     */
    public CompletableFuture<List<Claim>> claim(int shard, String workerId, Duration lease, List<ClaimRequest> requests) {
        List<StateGateway.AttemptRef> refs = new ArrayList<>(requests.size());
        for (ClaimRequest r : requests) {
            refs.add(new StateGateway.AttemptRef(r.message().job(), r.message().node(), r.message().dispatch(), r.attemptId()));
        }
        return state.claim(shard, workerId, lease, refs).thenApply(replies -> {
            List<Claim> out = new ArrayList<>(replies.size());
            for (ClaimReply reply : replies) {
                out.add(claim(reply));
            }
            return out;
        });
    }

    /**
     * One claim reply as the worker runs it: a claimed attempt's spec and parameters parsed, its
     * input values keyed by the spec's input names in declared order.
     *
     * @throws IllegalStateException when the stored spec or parameters are not readable JSON
     */
    public static Claim claim(ClaimReply reply) {
        return switch (reply) {
            case ClaimReply.Stale stale -> new Claim.Stale(stale.state());
            case ClaimReply.MissingInput missing -> new Claim.MissingInput(missing.dataNode(), missing.processor());
            case ClaimReply.Claimed c -> {
                try {
                    TaskSpec spec = JSON.readValue(c.spec(), TaskSpec.class);
                    Map<String, Object> params = JSON.readValue(c.params(), PARAMS);
                    Map<String, byte[]> inputs = new LinkedHashMap<>();
                    for (int i = 0; i < spec.inputs().size() && i < c.inputs().size(); i++) {
                        inputs.put(spec.inputs().get(i), c.inputs().get(i));
                    }
                    yield new Claim.Claimed(spec, params, c.attempt(), c.lease(), c.queueWait(), inputs, infra(c.infra()));
                } catch (IOException e) {
                    throw new IllegalStateException("unreadable task spec or parameters: " + e.getMessage(), e);
                }
            }
        };
    }

    /** A JSON object, keys in stored order (parameters, infra). */
    private static final TypeReference<LinkedHashMap<String, Object>> PARAMS = new TypeReference<>() { };

    /** A job's stored {@code infra} (JSON {cpu, memory, storage}); null when it asks for nothing. */
    static Infra infra(String json) throws IOException {
        if (json == null || json.isEmpty()) {
            return null;
        }
        Map<String, Object> i = JSON.readValue(json, PARAMS);
        if (i.isEmpty()) {
            return null;
        }
        return new Infra(i.get("cpu") == null ? null : new java.math.BigDecimal(i.get("cpu").toString()),
                (String) i.get("memory"), (String) i.get("storage"));
    }

    /** Consumables of a job by name (null where none): the items a collecting node reads. */
    public List<byte[]> readData(String job, List<String> fields) throws Exception {
        return state.readData(new JobId(job), fields);
    }

    /** Ends a batch of attempts of one shard in one call; the replies come in the same order. */
    public CompletableFuture<List<CommitReply>> commit(int shard, List<StateGateway.Commit> commits) {
        return state.commit(shard, commits);
    }

    /** A success's outputs as the commit takes them, each with its sniffed content type. */
    public static Map<String, StateGateway.Output> outputs(Map<String, byte[]> values) {
        Map<String, StateGateway.Output> out = new LinkedHashMap<>();
        // a reference carries its object's content type (sniffing it would say binary)
        values.forEach((k, v) -> out.put(k, new StateGateway.Output(v, ObjectRef.isRef(v)
                ? ObjectRef.decode(v).contentType() : ContentTypes.sniff(v))));
        return out;
    }

    /** An attempt whose lease is due for renewal. */
    public record Renewal(String attemptId, TaskMessage message, Duration lease) {
    }

    /** Renews leases; returns the attempts that no longer hold their task (to be stopped). */
    public List<String> renew(List<Renewal> renewals) {
        List<String> lost = new ArrayList<>();
        Map<String, CompletableFuture<Boolean>> pending = new LinkedHashMap<>();
        for (Renewal r : renewals) {
            TaskMessage m = r.message();
            pending.put(r.attemptId(), state.renew(m.shard(), new JobId(m.job()), m.node(), r.attemptId(), r.lease()));
        }
        pending.forEach((attemptId, f) -> {
            try {
                if (!state.await(f)) {
                    lost.add(attemptId);
                }
            } catch (Exception e) {
                // Redis unreachable: keep running; the lease decides once Redis is back
            }
        });
        return lost;
    }

    /** How long a message's redelivery count is kept after its last redelivery. */
    public static final Duration REDELIVERY_COUNT_KEPT = Duration.ofDays(1);

    /**
     * Counts one more redelivery of the message with this body (a classic queue's stand-in for a
     * quorum queue's delivery count); returns the count.
     */
    public long countRedelivery(byte[] body) throws Exception {
        byte[] key = bytes(keys.redeliveries(digest(body)));
        long n = await(redis.incr(key));
        await(redis.expire(key, REDELIVERY_COUNT_KEPT.toSeconds()));
        return n;
    }

    /** Takes back a count: the worker itself handed the message back (shutdown, pause), it did not crash on it. */
    public void uncountRedelivery(byte[] body) {
        redis.decr(bytes(keys.redeliveries(digest(body))));
    }

    private static String digest(byte[] body) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(body), 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Appends a line to the attempt's own log ({@code <epoch ms> <line>}, the last
     * {@value #LOG_LINES_KEPT} of each attempt kept) and to the job's log stream.
     */
    public void log(TaskMessage m, int attempt, String line) {
        JobId job = new JobId(m.job());
        byte[] key = bytes(keys.attemptLog(job, m.node(), attempt));
        String text = line.length() > LOG_LINE_MAX ? line.substring(0, LOG_LINE_MAX) + "…" : line;
        String at = Long.toString(System.currentTimeMillis());
        redis.rpush(key, bytes(at + " " + text));
        redis.ltrim(key, -LOG_LINES_KEPT, -1);
        // the job's log stream, read by followers (GET /jobs/{id}/logs?follow=true)
        Map<byte[], byte[]> entry = new LinkedHashMap<>();
        entry.put(bytes("n"), bytes(m.node()));
        entry.put(bytes("a"), bytes(Integer.toString(attempt)));
        entry.put(bytes("l"), bytes(text));
        entry.put(bytes("t"), bytes(at));
        redis.xadd(bytes(keys.logStream(job)), new io.lettuce.core.XAddArgs().maxlen(LOG_STREAM_KEPT).approximateTrimming(), entry);
    }

    public void register(String workerId, Map<String, String> fields) throws Exception {
        byte[] key = bytes(keys.worker(workerId));
        Map<byte[], byte[]> map = new LinkedHashMap<>();
        fields.forEach((k, v) -> map.put(bytes(k), bytes(v)));
        await(redis.hset(key, map));
        await(redis.pexpire(key, 60_000));
        await(redis.zadd(bytes(keys.workerIndex()), System.currentTimeMillis(), bytes(workerId)));
        byte[][] processors = java.util.Arrays.stream(fields.getOrDefault("processors", "").split(","))
                .filter(p -> !p.isEmpty()).map(p -> bytes(p)).toArray(byte[][]::new);
        if (processors.length > 0) {
            for (String pool : fields.getOrDefault("pools", "").split(",")) {
                await(redis.sadd(bytes(keys.poolProcessors(pool)), processors));
            }
        }
    }

    /**
     * Announces the version and determinism of each processor served here ({@code <version>|1} or
     * {@code |0}): the overseer pins the version into the spec of a cached node at submit and refuses
     * {@code cache:} on a non-deterministic one.
     */
    public void announceProcessors(Map<String, String> versionAndDeterminism) throws Exception {
        if (versionAndDeterminism.isEmpty()) {
            return;
        }
        Map<byte[], byte[]> map = new LinkedHashMap<>();
        versionAndDeterminism.forEach((k, v) -> map.put(bytes(k), bytes(v)));
        await(redis.hset(bytes(keys.processorInfo()), map));
    }

    /**
     * Stores a memoised result: the entry with its time to live in one command (never left without
     * one), then its place in the index, from which expired members are trimmed here too (so the
     * index stays as small as the live entries).
     */
    public void putCacheEntry(dev.pipewright.protocol.cache.CacheEntry entry) throws Exception {
        long now = System.currentTimeMillis();
        long ttl = Math.max(1, entry.expires() - now);
        await(redis.set(bytes(keys.cacheEntry(entry.key())), entry.encode(), io.lettuce.core.SetArgs.Builder.px(ttl)));
        byte[] index = bytes(keys.cacheIndex());
        byte[] meta = bytes(keys.cacheMeta());
        await(redis.zadd(index, (double) entry.expires(), bytes(entry.key())));
        await(redis.hset(meta, bytes(entry.key()), bytes(dev.pipewright.protocol.cache.CacheEntry.Meta.of(entry).format())));
        List<byte[]> expired = await(redis.zrangebyscore(index, io.lettuce.core.Range.create(Double.NEGATIVE_INFINITY, (double) now),
                io.lettuce.core.Limit.create(0, 1000)));
        if (!expired.isEmpty()) {
            byte[][] members = expired.toArray(byte[][]::new);
            await(redis.hdel(meta, members));
            await(redis.zrem(index, members));
        }
    }

    /** The memoised result under this key, or null (none, expired, or not readable as one). */
    public dev.pipewright.protocol.cache.CacheEntry cacheEntry(String key) throws Exception {
        return dev.pipewright.protocol.cache.CacheEntry.decode(await(redis.get(bytes(keys.cacheEntry(key)))));
    }

    /** The pools an operator paused (workers do not consume their queues). */
    public java.util.Set<String> pausedPools() throws Exception {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (byte[] pool : await(redis.hkeys(bytes(keys.pausedPools())))) {
            out.add(new String(pool, java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }

    public void unregister(String workerId) throws Exception {
        await(redis.zrem(bytes(keys.workerIndex()), bytes(workerId)));
        await(redis.del(bytes(keys.worker(workerId))));
    }

    private <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return state.await(stage);
    }
}
