package dev.pipewright.overseer.retention;

import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.datastore.DataStore;
import dev.pipewright.overseer.jobs.NoSuchJob;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.overseer.runs.RunStore;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.keys.RunId;
import dev.pipewright.protocol.state.JobState;
import io.lettuce.core.KeyValue;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Removes an ended job, everything of it: first what lives outside its shard's slot and so cannot be
 * in a shard script (its run's tally, its entries in the run's and the pipeline's job indexes, the
 * pipeline's record of it, the {@code Idempotency-Key} that created it), then, in {@code purge.lua},
 * the job hash (from then on it reads as no job) and, a batch of keys per call, the rest. The outside
 * steps go first and are idempotent: a crash before the hash goes leaves the job due, and the next
 * attempt repeats them. A crash after leaves the job in the shard's purging set, which the sweeper
 * works first. The data store is left alone: what a {@code source} names there is the pipeline's
 * published data set (later jobs read it as input, other jobs may write the same path), not the job's.
 * The job's own objects in the object store (its large consumables and pinned inputs, under
 * {@code <prefix>jobs/<job>/}) go with it, among the outside steps.
 */
public final class JobRemoval {
    private static final String[] FIELDS = {"status", "run", "pipeline", "idem", "created", "started", "finished"};

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final StateGateway state;
    private final RunStore runs;
    private final OverseerMetrics metrics;
    private final int batch;
    private final DataStore dataStore;

    public JobRemoval(Keys keys, RedisClusterAsyncCommands<String, String> redis, StateGateway state, RunStore runs, OverseerMetrics metrics,
                      int batch) {
        this(keys, redis, state, runs, metrics, batch, null);
    }

    /** @param batch the most keys one call of {@code purge.lua} removes ({@code PW_RETENTION_BATCH}) */
    public JobRemoval(Keys keys, RedisClusterAsyncCommands<String, String> redis, StateGateway state, RunStore runs, OverseerMetrics metrics,
                      int batch, DataStore dataStore) {
        if (batch < 1) {
            throw new IllegalArgumentException("a batch removes at least one key, got " + batch);
        }
        this.keys = keys;
        this.redis = redis;
        this.state = state;
        this.runs = runs;
        this.metrics = metrics;
        this.batch = batch;
        this.dataStore = dataStore;
    }

    public int batch() {
        return batch;
    }

    /**
     * Starts removing a job: {@code expired} only if its expiry has come, else (a delete) whenever it
     * has ended. Returns the first call's answer ({@code removed}: its hash is gone; {@code done}
     * says whether anything is left for {@link #step}).
     */
    public StateGateway.Purged begin(JobId id, boolean expired) throws Exception {
        List<KeyValue<String, String>> f = redis.hmget(keys.job(id), FIELDS).get(10, TimeUnit.SECONDS);
        String status = f.get(0).getValueOrElse(null);
        if (status != null) {
            JobState s = JobState.valueOf(status);
            if (!s.isTerminal()) {
                return new StateGateway.Purged("active", 0, false, status);
            }
            outside(id, s, f);
        }
        StateGateway.Purged first = state.purgeJob(id, expired, batch);
        if ("removed".equals(first.status()) && status != null) {
            metrics.jobRemoved(expired ? "expired" : "deleted");
        }
        return first;
    }

    /** Removes at most a batch more keys of a job whose hash is gone ({@code done}: nothing is left). */
    public StateGateway.Purged step(JobId id) throws Exception {
        return state.purgeStep(id, batch);
    }

    /**
     * {@code DELETE /jobs/{id}}: removes an ended job at once, every step run here (each bounded, so
     * Redis serves others between them). Refuses a job that has not ended (409) and one that is not
     * there (404).
     */
    public String delete(JobId id) throws Exception {
        StateGateway.Purged p = begin(id, false);
        switch (p.status()) {
            case "active" -> throw Refusal.conflict("job_not_ended", "job " + id + " is " + p.detail()
                    + "; only an ended job (SUCCESS, FAILED or CANCELLED) can be deleted: cancel it first");
            case "gone" -> throw Refusal.notFound(NoSuchJob.message(id));
            default -> {
                while (!p.done()) {
                    p = step(id);
                }
                return "deleted";
            }
        }
    }

    /** What lives outside the job's shard slot, so cannot be in purge.lua: all idempotent. */
    private void outside(JobId id, JobState status, List<KeyValue<String, String>> f) throws Exception {
        String run = f.get(1).getValueOrElse(null);
        String pipeline = f.get(2).getValueOrElse(null);
        String idem = f.get(3).getValueOrElse(null);
        if (dataStore != null) {
            // first: a store that cannot be reached now leaves the job due, and the next sweep tries again
            dataStore.purgeJob(id.value());
        }
        if (run != null && RunId.isValid(run)) {
            long last = 0;
            for (int i = 4; i < FIELDS.length; i++) {
                if (f.get(i).hasValue()) {
                    last = Math.max(last, Long.parseLong(f.get(i).getValue()));
                }
            }
            // counted in the run's tallies before the hash goes: a run keeps counting its removed jobs
            runs.settleRemoved(new RunId(run), id, status, last);
        }
        if (pipeline != null) {
            redis.zrem(keys.pipelineJobs(pipeline), id.value()).get(10, TimeUnit.SECONDS);
            redis.hdel(keys.pipeline(pipeline), "live:" + id.value()).get(10, TimeUnit.SECONDS);
        }
        if (idem != null) {
            String key = keys.idempotency(idem);
            String value = redis.get(key).get(10, TimeUnit.SECONDS);
            if (value != null && value.startsWith(id.value() + " ")) {
                redis.del(key).get(10, TimeUnit.SECONDS);
            }
        }
    }
}
