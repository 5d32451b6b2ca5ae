package dev.pipewright.overseer.schedule;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Redis's clock ({@code TIME}): the one every overseer shares, and the one the scripts stamp
 * with. Schedules are computed from it, so overseers on machines whose clocks drift apart still
 * agree on when a fire is due. Each reading is a round trip; it blocks the calling thread.
 */
public final class RedisClock extends Clock {
    private final RedisClusterAsyncCommands<String, String> redis;

    public RedisClock(RedisClusterAsyncCommands<String, String> redis) {
        this.redis = redis;
    }

    @Override
    public Instant instant() {
        try {
            List<String> t = redis.time().get(10, TimeUnit.SECONDS);
            return Instant.ofEpochSecond(Long.parseLong(t.get(0)), Long.parseLong(t.get(1)) * 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading Redis's clock", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read Redis's clock: " + e.getMessage(), e);
        }
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return zone.equals(ZoneOffset.UTC) ? this : Clock.fixed(instant(), zone);
    }
}
