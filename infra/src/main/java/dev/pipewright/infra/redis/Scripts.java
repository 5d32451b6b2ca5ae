package dev.pipewright.infra.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs {@link Script}s by {@code EVALSHA}, loading a script again when Redis answers NOSCRIPT (after
 * a Redis restart). Works on a byte-array connection so values stay binary-safe.
 */
public final class Scripts {
    private final RedisAsyncCommands<byte[], byte[]> redis;

    public Scripts(StatefulRedisConnection<byte[], byte[]> connection) {
        this.redis = connection.async();
    }

    public void loadAll() {
        for (Script s : Script.values()) {
            redis.scriptLoad(s.source().getBytes(StandardCharsets.UTF_8)).toCompletableFuture().join();
        }
    }

    public <T> CompletionStage<T> run(Script script, ScriptOutputType type, byte[][] keys, byte[]... args) {
        CompletableFuture<T> result = new CompletableFuture<>();
        redis.<T>evalsha(script.sha(), type, keys, args).whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else if (isNoScript(error)) {
                redis.scriptLoad(script.source().getBytes(StandardCharsets.UTF_8))
                        .thenCompose(sha -> redis.<T>evalsha(script.sha(), type, keys, args))
                        .whenComplete((v, e) -> {
                            if (e == null) result.complete(v); else result.completeExceptionally(e);
                        });
            } else {
                result.completeExceptionally(error);
            }
        });
        return result;
    }

    private static boolean isNoScript(Throwable error) {
        Throwable t = error;
        while (t != null) {
            if (t instanceof RedisNoScriptException || (t.getMessage() != null && t.getMessage().startsWith("NOSCRIPT"))) {
                return true;
            }
            t = t.getCause();
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
