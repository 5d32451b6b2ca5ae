package dev.pipewright.infra.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs {@link Script}s by {@code FCALL}, loading the function library again when Redis does not know
 * the function (a Redis restarted without persistence, or flushed). Works on a byte-array connection
 * so values stay binary-safe.
 */
public final class Scripts {
    private final RedisAsyncCommands<byte[], byte[]> redis;

    public Scripts(StatefulRedisConnection<byte[], byte[]> connection) {
        this.redis = connection.async();
    }

    /** Loads the function library (again: {@code REPLACE} makes a second load of the same text harmless). */
    public void loadAll() {
        redis.functionLoad(Script.LIBRARY, true).toCompletableFuture().join();
    }

    public <T> CompletionStage<T> run(Script script, ScriptOutputType type, byte[][] keys, byte[]... args) {
        CompletableFuture<T> result = new CompletableFuture<>();
        redis.<T>fcall(script.functionName(), type, keys, args).whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else if (isFunctionMissing(error)) {
                redis.functionLoad(Script.LIBRARY, true)
                        .thenCompose(name -> redis.<T>fcall(script.functionName(), type, keys, args))
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
