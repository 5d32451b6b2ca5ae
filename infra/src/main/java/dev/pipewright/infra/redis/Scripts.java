package dev.pipewright.infra.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs {@link Script}s by {@code FCALL}, loading the function library again when Redis does not know
 * the function (a Redis restarted without persistence, or flushed; on a cluster, a master added
 * since). Works on a byte-array connection so values stay binary-safe.
 *
 * <p>On a Redis Cluster a function call goes to the master of its first key's slot (every script
 * passes its keys, all in one slot), so the library is loaded on every master; a replica gets it by
 * replication, so one promoted by a failover has it too. A node that answers "Function not found"
 * anyway makes the library load on every master again before the call is repeated once.
 */
public final class Scripts {
    private final RedisLink<byte[], byte[]> link;
    private final RedisClusterAsyncCommands<byte[], byte[]> redis;
    /** A load under way that failed calls wait for, so a burst of them loads the library once. */
    private CompletableFuture<Void> loading;

    public Scripts(RedisLink<byte[], byte[]> link) {
        this.link = link;
        this.redis = link.async();
    }

    /** Loads the function library on every master (again: {@code REPLACE} makes a second load of the same text harmless). */
    public void loadAll() {
        loadEverywhere().join();
    }

    private CompletableFuture<Void> loadEverywhere() {
        return link.onEveryMaster(node -> node.functionLoad(Script.LIBRARY, true)).thenApply(names -> null);
    }

    /** The load under way, or a new one: concurrent calls that met a missing function share it. */
    private synchronized CompletableFuture<Void> reload() {
        if (loading == null || loading.isDone()) {
            loading = loadEverywhere();
        }
        return loading;
    }

    public <T> CompletionStage<T> run(Script script, ScriptOutputType type, byte[][] keys, byte[]... args) {
        CompletableFuture<T> result = new CompletableFuture<>();
        redis.<T>fcall(script.functionName(), type, keys, args).whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else if (isFunctionMissing(error)) {
                reload().thenCompose(loaded -> redis.<T>fcall(script.functionName(), type, keys, args))
                        .whenComplete((v, e) -> {
                            if (e == null) result.complete(v); else result.completeExceptionally(e);
                        });
            } else {
                result.completeExceptionally(error);
            }
        });
        return result;
    }

    private static boolean isFunctionMissing(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("Function not found")) {
                return true;
            }
        }
        return false;
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[][] keys(String... keys) {
        byte[][] out = new byte[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            out[i] = bytes(keys[i]);
        }
        return out;
    }

    public static String text(Object value) {
        return value == null ? null : value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : value.toString();
    }
}
