package dev.pipewright.overseer.retention;

import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.loop.PeriodicLoop;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The retention sweeper: every interval, per shard it serves, finishes the removals under way (the
 * shard's purging set: a crash, or a job too big for one round) and then removes the jobs whose
 * expiry has come ({@code <ns>:{sN}:expiry}, written by the scripts when a job ends), oldest first.
 * Each Redis call removes at most a batch of keys ({@link JobRemoval}) and a shard gets at most
 * {@code callsPerShard} calls a round, so a job of 100,000 tasks goes over several rounds while the
 * other shards and everything else keep being served.
 */
public final class JobExpiry extends PeriodicLoop {
    private static final Logger LOG = LoggerFactory.getLogger(JobExpiry.class);
    /** Calls a shard gets per round: with a batch of 1,000 keys, about 250 tasks a call. */
    public static final int CALLS_PER_SHARD = 50;

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final JobRemoval removal;
    private final Supplier<? extends Collection<Integer>> shards;
    private final int callsPerShard;

    /**
     * @param shards the shards this overseer serves, asked every round (all of them today; only its
     *               own once overseers lease shards)
     */
    public JobExpiry(Keys keys, RedisClusterAsyncCommands<String, String> redis, JobRemoval removal,
                     Supplier<? extends Collection<Integer>> shards, Duration interval, int callsPerShard) {
        super(interval);
        if (callsPerShard < 1) {
            throw new IllegalArgumentException("a round makes at least one call per shard, got " + callsPerShard);
        }
        this.keys = keys;
        this.redis = redis;
        this.removal = removal;
        this.shards = shards;
        this.callsPerShard = callsPerShard;
    }

    /** What sweeping a shard did: jobs whose removal began, jobs finished, calls made, keys removed and the most one call removed. */
    public record Swept(int begun, int finished, int calls, long keys, long mostKeysInACall) {
        Swept plus(StateGateway.Purged p, boolean begin) {
            return new Swept(begun + (begin && "removed".equals(p.status()) ? 1 : 0), finished + (p.done() && p.keys() > 0 ? 1 : 0),
                    calls + 1, keys + p.keys(), Math.max(mostKeysInACall, p.keys()));
        }
    }

    @Override
    protected void round() throws Exception {
        for (int shard : shards.get()) {
            if (!running()) {
                return;
            }
            Swept s = sweep(shard, callsPerShard);
            if (s.begun() > 0 || s.finished() > 0) {
                LOG.debug("shard {}: {} expired jobs removed, {} finished, {} keys in {} calls", shard, s.begun(), s.finished(), s.keys(),
                        s.calls());
            }
        }
    }

    /**
     * Sweeps one shard with a budget of {@code calls} Redis calls of {@code purge.lua} (each removing
     * at most the removal's batch of keys): removals under way first, then jobs due now by Redis's
     * clock, oldest first.
     */
    public Swept sweep(int shard, int calls) throws Exception {
        Swept s = new Swept(0, 0, 0, 0, 0);
        for (String job : purging(shard, calls)) {
            JobId id = new JobId(job);
            StateGateway.Purged p;
            do {
                p = removal.step(id);
                s = s.plus(p, false);
            } while (!p.done() && s.calls() < calls);
            if (s.calls() >= calls) {
                return s;
            }
        }
        List<String> time = redis.time().get(10, TimeUnit.SECONDS);
        double now = Long.parseLong(time.get(0)) * 1000.0 + Long.parseLong(time.get(1)) / 1000;
        List<String> due = redis.zrangebyscore(keys.expiry(shard), Range.create(Double.NEGATIVE_INFINITY, now),
                Limit.create(0, calls - s.calls())).get(10, TimeUnit.SECONDS);
        for (String job : due) {
            if (!JobId.isValid(job)) {
                LOG.error("removing malformed expiry entry {}", job);
                redis.zrem(keys.expiry(shard), job).get(10, TimeUnit.SECONDS);
                continue;
            }
            JobId id = new JobId(job);
            StateGateway.Purged p = removal.begin(id, true);
            s = s.plus(p, true);
            if ("active".equals(p.status())) {
                // ended states are final, so this is an entry someone wrote by hand: it is not ours to act on
                LOG.error("job {} is in the expiry set of shard {} but {}; leaving it out", job, shard, p.detail());
                redis.zrem(keys.expiry(shard), job).get(10, TimeUnit.SECONDS);
                continue;
            }
            while (!p.done() && "removed".equals(p.status()) && s.calls() < calls) {
                p = removal.step(id);
                s = s.plus(p, false);
            }
            if (s.calls() >= calls) {
                return s;
            }
        }
        return s;
    }

    /** Up to {@code n} jobs of the shard whose removal is under way. */
    private List<String> purging(int shard, int n) throws Exception {
        ValueScanCursor<String> c = redis.sscan(keys.purging(shard), ScanArgs.Builder.limit(n)).get(10, TimeUnit.SECONDS);
        return c.getValues().size() > n ? c.getValues().subList(0, n) : c.getValues();
    }
}
