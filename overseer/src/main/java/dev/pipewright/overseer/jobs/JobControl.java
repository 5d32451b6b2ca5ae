package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.dispatch.ControlPublisher;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.data.S3Uri;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.protocol.pipeline.ProcessNode;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.pipewright.infra.redis.Scripts.bytes;

/** Cancelling a job, and re-running a finished one from its failure. */
public final class JobControl {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ENDED = Set.of("SUCCESS", "FAILED", "CANCELLED");

    private final Keys keys;
    private final StateGateway state;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final RedisClusterAsyncCommands<byte[], byte[]> bytesRedis;
    private final ControlPublisher control;
    private final PipelineStore pipelines;
    private final JobSubmitter submitter;
    private final PublisherPool publishers;
    private final OverseerMetrics metrics;

    public JobControl(Keys keys, StateGateway state, RedisClusterAsyncCommands<String, String> redis, RedisClusterAsyncCommands<byte[], byte[]> bytesRedis,
                      ControlPublisher control, PipelineStore pipelines, JobSubmitter submitter, PublisherPool publishers,
                      OverseerMetrics metrics) {
        this.metrics = metrics;
        this.keys = keys;
        this.state = state;
        this.redis = redis;
        this.bytesRedis = bytesRedis;
        this.control = control;
        this.pipelines = pipelines;
        this.submitter = submitter;
        this.publishers = publishers;
    }

    /**
     * Cancels a job: its queued tasks never start, its running attempts are told to stop. Returns
     * the job's status afterwards: CANCELLING while attempts stop, CANCELLED once none runs.
     */
    public String cancel(JobId id) throws Exception {
        StateGateway.Stopped stopped = state.stop(id, "cancelled by request");
        publishers.publishQuietly(stopped.reply().dispatched()); // held tasks of other jobs that took the freed slots
        metrics.ended(stopped.reply().ends());
        String status = stopped.status();
        int running = stopped.running();
        switch (status) {
            case "gone" -> throw Refusal.notFound(NoSuchJob.message(id));
            case "stopping" -> {
                if (running > 0) {
                    control.stop(id.value(), null, null, "job cancelled");
                }
                return redis.hget(keys.job(id), "status").get(10, TimeUnit.SECONDS);
            }
            case "CANCELLING" -> {
                return status;
            }
            default -> throw Refusal.conflict("job " + id + " has already ended: " + status);
        }
    }

    /** What starting a built job did: {@code started} false when it had been started before. */
    public record Started(String status, boolean started) {
    }

    /**
     * Starts a built (READY) job: RUNNING, and its first tasks are dispatched, once. Starting a job
     * that already runs, waits for its pipeline's limit (PENDING) or has ended changes nothing and
     * says so; a cancelled job is a conflict.
     */
    public Started start(JobId id) throws Exception {
        OutboxEntry.Reply reply = state.start(id);
        metrics.ended(reply.ends());
        switch (reply.status()) {
            case "gone" -> throw Refusal.notFound(NoSuchJob.message(id));
            case "started" -> {
                publishers.publishQuietly(reply.dispatched());
                return new Started(redis.hget(keys.job(id), "status").get(10, TimeUnit.SECONDS), true);
            }
            case "RUNNING", "PENDING", "SUCCESS", "FAILED" -> {
                // PENDING: started already, waiting for a slot of its pipeline's running-jobs limit
                return new Started(reply.status(), false);
            }
            default -> throw Refusal.conflict("job " + id + " is " + reply.status() + "; it cannot start");
        }
    }

    /**
     * {@code POST /jobs/{id}/run} (seed 000: "execute an existing job from code by its UUID"): a built
     * (READY) job starts as {@link #start} does; an ended one (SUCCESS, FAILED, CANCELLED) is run again
     * as a new job of the same pipeline version, parameters and job inputs, from scratch (nothing
     * reused, unlike {@code /retry}), owned by whoever asked and marked {@code rerun_of} the old one.
     * A job that is running or waiting changes nothing ({@code started} false).
     */
    public JobAnswers.Started run(JobId id, String owner, boolean mayWriteShared) throws Exception {
        OutboxEntry.Reply reply = state.start(id);
        metrics.ended(reply.ends());
        switch (reply.status()) {
            case "gone" -> throw Refusal.notFound(NoSuchJob.message(id));
            case "started" -> {
                publishers.publishQuietly(reply.dispatched());
                return new JobAnswers.Started(id.value(), redis.hget(keys.job(id), "status").get(10, TimeUnit.SECONDS), true);
            }
            case "RUNNING", "PENDING" -> {
                return new JobAnswers.Started(id.value(), reply.status(), false);
            }
            case "SUCCESS", "FAILED", "CANCELLED" -> {
                JobSubmitter.Submitted again = resubmit(id, owner, mayWriteShared, false);
                return new JobAnswers.Started(again.id().value(), again.status(), true, id.value());
            }
            default -> throw Refusal.conflict("job " + id + " is " + reply.status() + "; it cannot be run now");
        }
    }

    /**
     * Starts a new job of the same pipeline version, parameters and inputs that reuses the outputs
     * of every task that succeeded in the given, ended job and runs the rest.
     */
    public JobId rerun(JobId old) throws Exception {
        return rerun(old, null);
    }

    /** Like {@link #rerun(JobId)}; the new job is owned by {@code owner} (who asked for the re-run). */
    public JobId rerun(JobId old, String owner) throws Exception {
        return rerunJob(old, owner).id();
    }

    /**
     * Like {@link #rerun(JobId, String)}, with the status the new job has: RUNNING, PENDING while
     * its pipeline is at its running-jobs limit, or already SUCCESS when it reuses every output.
     */
    public JobSubmitter.Submitted rerunJob(JobId old, String owner) throws Exception {
        return rerunJob(old, owner, false);
    }

    /** Like {@link #rerunJob(JobId, String)}; {@code mayWriteShared}: whoever asked may write the data store's shared area (an admin). */
    public JobSubmitter.Submitted rerunJob(JobId old, String owner, boolean mayWriteShared) throws Exception {
        return resubmit(old, owner, mayWriteShared, true);
    }

    /**
     * A new job of the ended job's pipeline version, parameters and job inputs; {@code reuseSucceeded}:
     * a re-run from failure ({@code retry_of}, reusing what succeeded), else a fresh run ({@code rerun_of}).
     */
    /**
     * A task that left an optional output unproduced runs again rather than being reused: a reused task
     * is created done and releases its children at once, so one that reads the missing value would
     * run without it instead of being skipped.
     */
    private static void dropReuseOfUnproduced(Pipeline pipeline, Set<String> reuse,
                                              Map<byte[], byte[]> data) {
        Set<String> written = new HashSet<>();
        data.keySet().forEach(k -> written.add(new String(k, StandardCharsets.UTF_8)));
        reuse.removeIf(node -> {
            ProcessNode p = pipeline.processNodes().get(node);
            return p != null && p.output().stream().anyMatch(out -> out != null && !written.contains(out)
                    && pipeline.dataNodes().get(out) != null && pipeline.dataNodes().get(out).optional());
        });
    }

    /**
     * A node that runs once per item is expanded again in the new job, so neither it nor anything
     * below it is reused: its items' values are not carried over, and what reads them must read the
     * new ones.
     */
    private static void dropReuseOfMapped(dev.pipewright.protocol.pipeline.Pipeline pipeline, PipelineGraph graph, Set<String> reuse) {
        dev.pipewright.protocol.graph.MapPlan maps = new dev.pipewright.protocol.graph.MapPlan(pipeline);
        if (maps.isEmpty()) {
            return;
        }
        java.util.Deque<String> below = new java.util.ArrayDeque<>();
        pipeline.processNodes().keySet().stream().filter(n -> maps.mapped(n) != null).forEach(below::add);
        Set<String> seen = new HashSet<>();
        while (!below.isEmpty()) {
            String n = below.pop();
            if (seen.add(n)) {
                reuse.remove(n);
                below.addAll(graph.childrenOf(n));
            }
        }
    }

    private JobSubmitter.Submitted resubmit(JobId old, String owner, boolean mayWriteShared, boolean reuseSucceeded) throws Exception {
        Map<String, String> job = redis.hgetall(keys.job(old)).get(10, TimeUnit.SECONDS);
        if (job.isEmpty()) {
            throw Refusal.notFound(NoSuchJob.message(old));
        }
        if (!ENDED.contains(job.get("status"))) {
            throw Refusal.conflict("job " + old + " is " + job.get("status") + "; only an ended job can be re-run");
        }
        StoredPipeline stored = pipelines.find(job.get("pipeline"), Integer.parseInt(job.get("version")));
        if (stored == null) {
            throw Refusal.conflict("pipeline '" + job.get("pipeline") + "' v" + job.get("version")
                    + " was deleted; a re-run needs its pipeline version");
        }
        PipelineGraph graph = stored.graph();
        Set<String> reuse = new HashSet<>();
        Map<String, java.util.concurrent.CompletableFuture<String>> states = new LinkedHashMap<>();
        for (String node : redis.lrange(keys.nodes(old), 0, -1).get(10, TimeUnit.SECONDS)) {
            states.put(node, redis.hget(keys.task(old, node), "state").toCompletableFuture());
        }
        for (Map.Entry<String, java.util.concurrent.CompletableFuture<String>> e : states.entrySet()) {
            String state = e.getValue().get(30, TimeUnit.SECONDS);
            // a memoised result is a result: reused like one that ran
            if (reuseSucceeded && ("SUCCESS".equals(state) || "CACHED".equals(state))) {
                reuse.add(e.getKey());
            }
        }
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        JobId rerun = JobId.random();
        Map<byte[], byte[]> data = bytesRedis.hgetall(bytes(keys.data(old))).get(30, TimeUnit.SECONDS);
        dropReuseOfUnproduced(stored.pipeline(), reuse, data);
        dropReuseOfMapped(stored.pipeline(), graph, reuse);
        for (Map.Entry<byte[], byte[]> e : data.entrySet()) {
            String node = new String(e.getKey(), StandardCharsets.UTF_8);
            if (node.indexOf('[') >= 0) {
                // one item's value (a list split, a per-item output): written again by the items that run again
                continue;
            }
            String producer = graph.producerOf(node);
            if (producer == null || reuse.contains(producer)) {
                inputs.put(node, repin(e.getValue(), old, rerun, node));
            }
        }
        Map<String, Object> params = JSON.readValue(job.getOrDefault("params", "{}"), new TypeReference<LinkedHashMap<String, Object>>() { });
        List<String> outputs = JSON.readValue(job.getOrDefault("outputs", "[]"), new TypeReference<List<String>>() { });
        Infra infra = null;
        if (job.get("infra") != null) {
            Map<String, Object> i = JSON.readValue(job.get("infra"), new TypeReference<LinkedHashMap<String, Object>>() { });
            infra = new Infra(i.get("cpu") == null ? null : new java.math.BigDecimal(i.get("cpu").toString()),
                    (String) i.get("memory"), (String) i.get("storage"));
        }
        // a re-run keeps the name, priority, owner and resources, but is not counted in the old job's run
        JobMeta meta = JobMeta.NONE.withName(job.get("name")).withPriority(Priority.parse(job.get("priority"))).withOwner(job.get("owner"))
                .withInfra(infra);
        if (!reuseSucceeded) {
            meta = meta.withRerunOf(old.value());
        }
        // inputs read from a source were stored with the old job; pass them as given values
        // and the configuration it ran with
        Map<String, Map<String, Object>> nodeConfig = job.get("config") == null ? Map.of()
                : JSON.readValue(job.get("config"), new TypeReference<LinkedHashMap<String, Map<String, Object>>>() { });
        return submitter.submitJob(stored, new SubmitRequest(params, inputs, outputs, true, reuseSucceeded ? old.value() : null, reuse, meta,
                nodeConfig, null), rerun, owner, mayWriteShared, true);
    }

    /**
     * A value of the ended job for its re-run: as it is, or for an object reference a server-side
     * copy in the new job's prefix, so each job owns its objects and the old one's expiry takes
     * nothing the new one reads.
     */
    private byte[] repin(byte[] value, JobId old, JobId rerun, String node) throws java.io.IOException {
        if (!ObjectRef.isRef(value)) {
            return value;
        }
        ObjectRef ref = ObjectRef.decode(value);
        ObjectStore objects = submitter.dataStore().objects();
        if (objects == null || objects.config().dataStore() == null) {
            throw Refusal.conflict("the value of '" + node + "' in job " + old + " is the object " + ref.uri()
                    + ", and this overseer has no object store configured (PW_DATA_STORE)");
        }
        S3Uri prefix = objects.jobPrefix(rerun.value());
        S3Uri to = new S3Uri(prefix.bucket(),
                prefix.key() + "reused/" + DataPaths.fileName(node));
        try {
            objects.copy(new S3Uri(ref.bucket(), ref.key()), ref.size(), to);
        } catch (java.io.IOException e) {
            throw Refusal.conflict("cannot re-run job " + old + ": its value of '" + node + "' cannot be copied from the object store: "
                    + e.getMessage());
        }
        return new ObjectRef(to.bucket(), to.key(), ref.size(), ref.sha256(), ref.contentType()).encode();
    }
}
