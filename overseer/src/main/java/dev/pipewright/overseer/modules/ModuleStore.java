package dev.pipewright.overseer.modules;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Uploaded modules in Redis ({@link Keys#module}): versions numbered from 1 per name, each with its
 * content (capped by {@code PW_MAX_MODULE_BYTES}) under its SHA-256 digest. Uploading the same
 * content again answers the version that has it. A name belongs to whoever uploaded its first
 * version (they, or an admin, upload more and delete). Deleting drops the metadata at once (no new
 * job can name the version) and lets the content expire after {@link #DELETED_CONTENT_GRACE}, so
 * jobs already submitted with the version pinned still run it.
 */
public final class ModuleStore {
    /** How long a deleted version's content stays for the jobs that pinned it before the delete. */
    public static final Duration DELETED_CONTENT_GRACE = Duration.ofDays(7);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PUT = script("module_put.lua");
    private static final String DELETE = script("module_delete.lua");

    private final Keys keys;
    private final RedisClusterAsyncCommands<byte[], byte[]> redis;

    public ModuleStore(Keys keys, RedisClusterAsyncCommands<byte[], byte[]> redis) {
        this.keys = keys;
        this.redis = redis;
    }

    /** One version's metadata, as stored and as the API answers it. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Version(String name, int version, String digest, long size, String kind, String entry,
                          @JsonProperty("created_at") String createdAt, @JsonProperty("created_by") String createdBy,
                          String description) {
    }

    /** What an upload did: {@code created} false when the content was there already (as {@code version}). */
    public record Put(boolean created, Version version) {
    }

    /** Raised when the name is someone else's. */
    public static final class NotOwner extends Exception {
        public final String owner;

        NotOwner(String owner) {
            super("module is owned by '" + owner + "'");
            this.owner = owner;
        }
    }

    public Put put(Version meta, byte[] content, String uploader, boolean admin) throws Exception {
        byte[][] keyList = {b(keys.moduleIndex()), b(keys.module(meta.name())), b(keys.moduleContent(meta.name(), meta.digest()))};
        List<Object> reply = await(redis.eval(PUT, ScriptOutputType.MULTI, keyList, b(meta.name()), b(meta.digest()),
                JSON.writeValueAsBytes(meta), content, b(uploader), b(admin ? "1" : "0")));
        long status = (Long) reply.get(0);
        if (status < 0) {
            throw new NotOwner(s(reply.get(2)));
        }
        return new Put(status == 1, JSON.readValue((byte[]) reply.get(2), Version.class));
    }

    /** Every version of a module, oldest first (empty: no such module). */
    public List<Version> versions(String name) throws Exception {
        Map<byte[], byte[]> hash = await(redis.hgetall(b(keys.module(name))));
        List<Version> out = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> e : hash.entrySet()) {
            if (s(e.getKey()).startsWith("v:")) {
                out.add(JSON.readValue(e.getValue(), Version.class));
            }
        }
        out.sort(Comparator.comparingInt(Version::version));
        return out;
    }

    /** One version (null: none); {@code version} null means the latest. */
    public Version version(String name, Integer version) throws Exception {
        byte[] n = version != null ? b(Integer.toString(version)) : await(redis.hget(b(keys.module(name)), b("latest")));
        if (n == null) {
            return null;
        }
        byte[] meta = await(redis.hget(b(keys.module(name)), b("v:" + s(n))));
        return meta == null ? null : JSON.readValue(meta, Version.class);
    }

    /** Who owns a module name (null: nobody, the name is free). */
    public String owner(String name) throws Exception {
        byte[] o = await(redis.hget(b(keys.module(name)), b("owner")));
        return o == null ? null : s(o);
    }

    public byte[] content(Version v) throws Exception {
        return await(redis.get(b(keys.moduleContent(v.name(), v.digest()))));
    }

    /** Module names after {@code after} (exclusive; null: from the start), at most {@code limit}. */
    public List<String> names(String after, int limit) throws Exception {
        Range<byte[]> range = after == null ? Range.unbounded()
                : Range.from(Range.Boundary.excluding(b(after)), Range.Boundary.unbounded());
        List<byte[]> raw = await(redis.zrangebylex(b(keys.moduleIndex()), range, Limit.create(0, limit)));
        return raw.stream().map(ModuleStore::s).toList();
    }

    /** Deletes the given versions; returns how many were deleted and the latest version left (0: none, the name is free). */
    public long[] delete(String name, List<Version> versions) throws Exception {
        byte[][] keyList = new byte[2 + versions.size()][];
        keyList[0] = b(keys.moduleIndex());
        keyList[1] = b(keys.module(name));
        byte[][] args = new byte[2 + versions.size()][];
        args[0] = b(Long.toString(DELETED_CONTENT_GRACE.toMillis()));
        args[1] = b(name);
        for (int i = 0; i < versions.size(); i++) {
            keyList[2 + i] = b(keys.moduleContent(name, versions.get(i).digest()));
            args[2 + i] = b(Integer.toString(versions.get(i).version()));
        }
        List<Object> reply = await(redis.eval(DELETE, ScriptOutputType.MULTI, keyList, args));
        return new long[]{(Long) reply.get(0), (Long) reply.get(1)};
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(Object o) {
        return o == null ? null : new String((byte[]) o, StandardCharsets.UTF_8);
    }

    private static String script(String name) {
        try (InputStream in = ModuleStore.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
