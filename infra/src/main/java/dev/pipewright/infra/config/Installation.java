package dev.pipewright.infra.config;

import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What every process of an installation must agree on, checked against Redis at start: the shard
 * count. A job's shard comes from its id and {@code PW_SHARDS}, so a process with another count
 * would look for jobs in the wrong shards and serve shards nobody else does. The first process
 * records it; any later one with another count refuses to start.
 */
public final class Installation {
    private static final String SHARDS = "shards";

    private Installation() {
    }

    public static void check(RedisClusterAsyncCommands<String, String> redis, Keys keys) throws Exception {
        redis.hsetnx(keys.installation(), SHARDS, Integer.toString(keys.shards())).get(10, TimeUnit.SECONDS);
        agree(keys, redis.hget(keys.installation(), SHARDS).get(10, TimeUnit.SECONDS));
    }

    /** The same, on a connection with a byte-array codec (the worker's). */
    public static void checkBytes(RedisClusterAsyncCommands<byte[], byte[]> redis, Keys keys) throws Exception {
        byte[] key = keys.installation().getBytes(StandardCharsets.UTF_8);
        byte[] field = SHARDS.getBytes(StandardCharsets.UTF_8);
        redis.hsetnx(key, field, Integer.toString(keys.shards()).getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        byte[] recorded = redis.hget(key, field).get(10, TimeUnit.SECONDS);
        agree(keys, recorded == null ? null : new String(recorded, StandardCharsets.UTF_8));
    }

    private static void agree(Keys keys, String recorded) {
        if (!Integer.toString(keys.shards()).equals(recorded)) {
            throw new ConfigException("PW_SHARDS=" + keys.shards() + ", but this installation (namespace '" + keys.namespace()
                    + "') was set up with PW_SHARDS=" + recorded + ": every overseer and worker must use the same shard count,"
                    + " fixed for the installation's life");
        }
    }
}
