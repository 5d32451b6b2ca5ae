package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.datastore.DataStore;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.overseer.workers.WorkerDirectory;
import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.job.Capacity;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.ContentTypes;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.protocol.pipeline.Parameter;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.pipeline.RetryPolicy;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.pipewright.infra.redis.Scripts.bytes;

/**
 * Checks a submission against its pipeline (parameters, inputs, wanted outputs, processors some
 * worker announced for the pool), plans the run, reads job inputs from the data store, and creates the job with
 * one atomic script that also dispatches its first tasks through the outbox.
 */
public final class JobSubmitter {
    /** The error code of a submit whose job id is taken: the job was made before (a retried schedule fire, say). */
    public static final String JOB_EXISTS = "job_exists";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Keys keys;
    private final StateGateway state;
    private final DataStore dataStore;
    private final WorkerDirectory workers;
    private final PublisherPool publishers;
    private final RedisAsyncCommands<String, String> redis;
    private final PipelineStore pipelines;
    private final OverseerMetrics metrics;

    public JobSubmitter(Keys keys, StateGateway state, DataStore dataStore, WorkerDirectory workers, PublisherPool publishers,
                        RedisAsyncCommands<String, String> redis, PipelineStore pipelines, OverseerMetrics metrics) {
        this.pipelines = pipelines;
        this.metrics = metrics;
        this.publishers = publishers;
        this.redis = redis;
        this.keys = keys;
        this.state = state;
        this.dataStore = dataStore;
        this.workers = workers;
    }

    /** A created job and the status it has: READY (built), RUNNING, or PENDING (its pipeline is at its limit). */
    public record Submitted(JobId id, String status) {
    }

    public JobId submit(StoredPipeline stored, SubmitRequest request, JobId id) throws Exception {
        return submitJob(stored, request, id, null).id();
    }

    /** Like {@link #submit(StoredPipeline, SubmitRequest, JobId)}, recording who submitted it ({@code owner}; null: nobody). */
    public JobId submit(StoredPipeline stored, SubmitRequest request, JobId id, String owner) throws Exception {
        return submitJob(stored, request, id, owner).id();
    }

    public Submitted submitJob(StoredPipeline stored, SubmitRequest request, JobId id, String owner) throws Exception {
        Pipeline pipeline = stored.pipeline();
        PipelineGraph graph = stored.graph();
        List<Problem> problems = new ArrayList<>();
        Map<String, Object> params = parameters(pipeline, request.parameters(), problems);

        for (int i = 0; i < request.outputs().size(); i++) {
            String out = request.outputs().get(i);
            if (!pipeline.dataNodes().containsKey(out)) {
                problems.add(new Problem("outputs[" + i + "]", "unknown data node '" + out + "'"));
            }
        }
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : request.inputs().entrySet()) {
            if (!pipeline.dataNodes().containsKey(e.getKey())) {
                problems.add(new Problem("inputs." + e.getKey(), "unknown data node '" + e.getKey() + "'"));
            } else if (graph.isProduced(e.getKey()) && !request.reuse().contains(graph.producerOf(e.getKey()))) {
                problems.add(new Problem("inputs." + e.getKey(), "data node '" + e.getKey() + "' is written by process node '"
                        + graph.producerOf(e.getKey()) + "'; only job inputs can be given"));
            } else {
                inputs.put(e.getKey(), e.getValue());
            }
        }
        if (!problems.isEmpty()) {
            throw Refusal.invalid("invalid_request", "the job request has " + problems.size() + " problem(s)", problems);
        }

        Set<String> available = new HashSet<>(inputs.keySet());
        available.addAll(graph.inputsWithSource());
        ExecutionPlan plan = graph.plan(Set.copyOf(request.outputs()), available);
        plan.missing().forEach((node, missing) -> {
            for (String in : missing) {
                problems.add(new Problem("processNodes." + node + ".input",
                        "process node '" + node + "' lacks input '" + in + "': no process node writes it, it has no source, and the request gave no value in inputs"));
            }
        });
        if (plan.run().isEmpty()) {
            problems.add(new Problem("outputs", "nothing to run: no process node writes the wanted outputs " + request.outputs()));
        }
        for (String in : plan.jobInputs()) {
            if (!inputs.containsKey(in) && pipeline.dataNodes().get(in).source() != null) {
                String path;
                try {
                    path = Templates.resolve(pipeline.dataNodes().get(in).source(), params);
                } catch (IllegalArgumentException e) {
                    problems.add(new Problem("dataNodes." + in + ".source", e.getMessage()));
                    continue;
                }
                byte[] bytes;
                try {
                    bytes = dataStore.read(path);
                } catch (java.io.IOException e) {
                    problems.add(new Problem("dataNodes." + in + ".source", "cannot read '" + path + "': " + e.getMessage()));
                    continue;
                }
                if (bytes == null) {
                    problems.add(new Problem("dataNodes." + in + ".source", "'" + path + "' does not exist in the data store"));
                } else {
                    inputs.put(in, bytes);
                }
            }
        }
        for (String node : plan.run()) {
            // outputs with a source are written to the data store: their placeholders must resolve too
            for (String out : pipeline.processNodes().get(node).output()) {
                String source = pipeline.dataNodes().get(out).source();
                if (source != null) {
                    try {
                        Templates.resolve(source, params);
                    } catch (IllegalArgumentException e) {
                        problems.add(new Problem("dataNodes." + out + ".source", e.getMessage()));
                    }
                }
            }
        }
        Map<String, Set<String>> served = workers.served();
        Map<String, Set<String>> known = new java.util.HashMap<>();
        java.util.function.BiPredicate<String, String> serves = (pool, processor) ->
                served.getOrDefault(pool, Set.of()).contains(processor) || known.computeIfAbsent(pool, this::knownProcessors).contains(processor);
        Map<String, String> poolOf = route(pipeline, plan.run(), request, served.keySet(), serves, problems);
        for (String node : plan.run()) {
            ProcessNode p = pipeline.processNodes().get(node);
            String pool = poolOf.getOrDefault(node, p.pool());
            if (request.reuse().contains(node)) {
                continue;
            }
            // a processor some worker announced for the pool is accepted while none is up: its
            // tasks wait in the queue (and an autoscaler sees them); one never announced is a mistake
            if (!serves.test(pool, p.processor()) && !problems.stream().anyMatch(pr -> pr.path().equals("processNodes." + node + ".pool"))) {
                problems.add(new Problem("processNodes." + node + ".processor", "no worker serves processor '"
                        + p.processor() + "' in pool '" + pool + "'"
                        + (served.containsKey(pool) || !known.get(pool).isEmpty() ? ""
                        : " (no worker consumes that pool)")));
            }
        }
        if (!problems.isEmpty()) {
            throw Refusal.invalid("invalid_request", "the job cannot run: " + problems.size() + " problem(s)", problems);
        }

        Set<String> runSet = new HashSet<>(plan.run());
        Set<String> reuse = new HashSet<>(request.reuse());
        reuse.retainAll(runSet);
        boolean chunked = plan.run().size() > CHUNK;
        // one chunk's task table at a time: a job of 100,000 tasks never holds them all as JSON trees
        java.util.function.Function<List<String>, String> taskTable = nodes -> {
            ArrayNode tasks = JSON.createArrayNode();
            for (String node : nodes) {
                ProcessNode p = pipeline.processNodes().get(node);
                RetryPolicy r = p.retries();
                TaskSpec spec = new TaskSpec(p.processor(), p.config(), p.input(), p.output(),
                        p.timeout() == null ? 0 : p.timeout().toMillis());
                ObjectNode t = tasks.addObject();
                t.put("node", node);
                t.put("processor", p.processor());
                t.put("pool", poolOf.getOrDefault(node, p.pool()));
                try {
                    t.put("spec", JSON.writeValueAsString(spec));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                ArrayNode in = t.putArray("in");
                p.input().forEach(in::add);
                t.put("np", graph.parentsOf(node).size());
                ArrayNode ch = t.putArray("ch");
                graph.childrenOf(node).stream().filter(runSet::contains).forEach(ch::add);
                if (chunked) {
                    // a later chunk checks whether a parent already ended without success
                    ArrayNode pa = t.putArray("pa");
                    graph.parentsOf(node).stream().filter(runSet::contains).forEach(pa::add);
                }
                t.put("max", r.max());
                t.put("qt", p.queueTimeout() == null ? 0 : p.queueTimeout().toMillis());
                t.put("to", p.timeout() == null ? 0 : p.timeout().toMillis());
                t.put("hb", p.heartbeat() == null ? 0 : p.heartbeat().toMillis());
                t.put("bk", r.backoff().name());
                t.put("bi", r.initial().toMillis());
                t.put("bm", r.maxDelay().toMillis());
                t.put("bj", r.jitter());
                if (reuse.contains(node)) {
                    t.put("done", request.reuseFrom());
                }
                ObjectNode sink = JSON.createObjectNode();
                for (String out : p.output()) {
                    String source = pipeline.dataNodes().get(out).source();
                    if (source != null) {
                        sink.put(out, Templates.resolve(source, params));
                    }
                }
                if (!sink.isEmpty()) {
                    t.put("sink", sink.toString());
                }
            }
            return tasks.toString();
        };
        List<List<String>> chunks = chunks(plan.run());
        ObjectNode job = JSON.createObjectNode();
        job.put("id", id.value());
        job.put("pipeline", stored.id());
        job.put("version", stored.version());
        job.put("params", JSON.writeValueAsString(params));
        job.put("outputs", JSON.writeValueAsString(request.outputs()));
        job.put("pruned", JSON.writeValueAsString(plan.pruned()));
        job.put("deadline", pipeline.deadline() == null ? 0 : pipeline.deadline().toMillis());
        if (request.reuseFrom() != null) {
            job.put("retryOf", request.reuseFrom());
        }
        JobMeta meta = request.meta();
        job.put("name", meta.name() != null ? meta.name() : id.value());
        job.put("priority", meta.priority() != null ? meta.priority() : dev.pipewright.protocol.pipeline.Priority.JOB_DEFAULT);
        if (meta.runId() != null) {
            job.put("run", meta.runId());
        }
        String jobOwner = owner != null ? owner : meta.owner();
        if (jobOwner != null) {
            job.put("owner", jobOwner);
        }
        if (meta.infra() != null) {
            job.put("infra", JSON.writeValueAsString(meta.infra().toMap()));
        }
        if (meta.scheduledFor() != null) {
            job.put("trigger", meta.trigger());
            job.put("scheduled_for", meta.scheduledFor().format(java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        }

        Map<String, StateGateway.Output> values = new LinkedHashMap<>();
        inputs.forEach((node, value) -> values.put(node, new StateGateway.Output(value, ContentTypes.sniff(value))));
        StateGateway.Submission submission = new StateGateway.Submission(id, bytes(JSON.writeValueAsString(job)),
                bytes(taskTable.apply(chunks.get(0))), request.start(), plan.run().size(), chunks.size() > 1, BUILD_PATIENCE, values);
        // recorded in the pipeline's hash first, atomically with the check that it was not deleted
        // (a delete refuses while the job is recorded), then in the pipeline's job index (listing by
        // pipeline): an entry whose job was never created reads as no job
        pipelines.reserve(stored, id);
        OutboxEntry.Reply reply;
        try {
            redis.zadd(keys.pipelineJobs(stored.id()), System.currentTimeMillis(), id.value()).get(10, TimeUnit.SECONDS);
            reply = state.submit(submission);
        } catch (Exception e) {
            unreserveQuietly(stored, id);
            throw e;
        }
        if ("exists".equals(reply.status())) {
            throw Refusal.conflict(JOB_EXISTS, "job " + id + " already exists");
        }
        metrics.jobSubmitted();
        metrics.ended(reply.ends()); // a re-run that reuses every output ends at once
        publishers.publishQuietly(reply.dispatched());
        for (int i = 1; i < chunks.size(); i++) {
            // the first tasks run meanwhile; a crash here leaves the job building, and its build timer fails it
            OutboxEntry.Reply written = state.submitChunk(id, bytes(taskTable.apply(chunks.get(i))), i == chunks.size() - 1, BUILD_PATIENCE);
            metrics.ended(written.ends());
            publishers.publishQuietly(written.dispatched());
            if (!"written".equals(written.status())) {
                break; // no longer being built: its build timer ran out (it failed)
            }
        }
        return new Submitted(id, reply.status());
    }

    /**
     * Tasks written in one call at most: a bigger job is written in chunks, none holding Redis for
     * long: on a loaded 2-core machine a chunk of 1,000 tasks that all start at once took up to 73 ms,
     * one of 500 up to 49 ms (the Redis thread shares the cores), so a chunk is 250.
     */
    static final int CHUNK = 250;
    /** How long a job may wait for its next chunk before it is failed as an interrupted submission. */
    static final Duration BUILD_PATIENCE = Duration.ofSeconds(60);

    /** The nodes to run (in execution order) cut into chunks of at most {@link #CHUNK}. */
    static List<List<String>> chunks(List<String> nodes) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i += CHUNK) {
            out.add(nodes.subList(i, Math.min(nodes.size(), i + CHUNK)));
        }
        if (out.isEmpty()) {
            out.add(List.of());
        }
        return out;
    }

    private void unreserveQuietly(StoredPipeline stored, JobId id) {
        try {
            pipelines.unreserve(stored.id(), id);
        } catch (Exception e) {
            // the record is dropped as abandoned later (PipelineStore.RESERVATION_GRACE_MS)
        }
    }

    /**
     * Where each node's tasks go when the job asks for resources ({@code config.infra}): a node with
     * a pool of its own stays there if that pool offers them (else a problem); a node in the default
     * pool goes to the smallest pool that offers them and serves its processor (best fit, then by
     * name). Without infra every node keeps its pool (an empty map).
     */
    private Map<String, String> route(Pipeline pipeline, List<String> nodes, SubmitRequest request, Set<String> alivePools,
                                      java.util.function.BiPredicate<String, String> serves, List<Problem> problems) throws Exception {
        Infra infra = request.meta().infra();
        Map<String, String> out = new java.util.HashMap<>();
        if (infra == null || infra.toMap().isEmpty()) {
            return out;
        }
        Set<String> candidates = new java.util.TreeSet<>(alivePools);
        candidates.addAll(workers.namedPools());
        candidates.add(ProcessNode.DEFAULT_POOL);
        Map<String, Capacity> capacities = workers.capacities(candidates);
        String offered = capacities.isEmpty() ? "no pool has announced any capacity"
                : "pools offer: " + new java.util.TreeMap<>(capacities).entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue().describe() + ")").collect(java.util.stream.Collectors.joining("; "));
        for (String node : nodes) {
            if (request.reuse().contains(node)) {
                continue;
            }
            ProcessNode p = pipeline.processNodes().get(node);
            if (!p.pool().equals(ProcessNode.DEFAULT_POOL)) {
                if (!capacities.getOrDefault(p.pool(), Capacity.NONE).fits(infra)) {
                    problems.add(new Problem("processNodes." + node + ".pool", "pool '" + p.pool() + "' does not offer what the job asks for ("
                            + infra.toMap() + "); " + offered));
                }
                out.put(node, p.pool());
                continue;
            }
            String best = capacities.entrySet().stream()
                    .filter(e -> e.getValue().fits(infra) && serves.test(e.getKey(), p.processor()))
                    .min(java.util.Comparator.<Map.Entry<String, Capacity>, Capacity>comparing(Map.Entry::getValue, Capacity::compareSize)
                            .thenComparing(Map.Entry::getKey))
                    .map(Map.Entry::getKey).orElse(null);
            if (best == null) {
                problems.add(new Problem("processNodes." + node + ".pool", "no pool whose workers serve processor '" + p.processor()
                        + "' offers what the job asks for (" + infra.toMap() + "); " + offered));
                out.put(node, p.pool());
            } else {
                out.put(node, best);
            }
        }
        return out;
    }

    private Set<String> knownProcessors(String pool) {
        try {
            return workers.known(pool);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the processors of pool " + pool + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> parameters(Pipeline pipeline, Map<String, Object> given, List<Problem> problems) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : given.entrySet()) {
            Parameter p = pipeline.parameters().get(e.getKey());
            if (p == null) {
                problems.add(new Problem("parameters." + e.getKey(), "unknown parameter; the pipeline declares "
                        + pipeline.parameters().keySet()));
            } else if (e.getValue() == null) {
                problems.add(new Problem("parameters." + e.getKey(), "expected a value of type "
                        + (p.type() == null ? "string" : p.type().wireName()) + ", got null (leave the field out to use the default)"));
            } else if (p.type() != null && !p.type().accepts(e.getValue())) {
                problems.add(new Problem("parameters." + e.getKey(), "expected a value of type " + p.type().wireName()
                        + ", got " + describe(e.getValue())));
            } else {
                params.put(e.getKey(), p.type() == null ? e.getValue() : p.type().normalize(e.getValue()));
            }
        }
        for (Parameter p : pipeline.parameters().values()) {
            if (!given.containsKey(p.name())) {
                if (p.defaultValue() != null) {
                    params.put(p.name(), p.defaultValue());
                } else if (p.required()) {
                    problems.add(new Problem("parameters." + p.name(), "missing: required parameter of type "
                            + (p.type() == null ? "string" : p.type().wireName())));
                }
            }
        }
        return params;
    }

    private static String describe(Object v) {
        if (v instanceof String s) return "text '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
        if (v instanceof Number n && !Double.isFinite(n.doubleValue())) return "a number out of range (" + v + ")";
        if (v instanceof Number) return "the number " + v;
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof Map) return "a mapping";
        if (v instanceof List) return "a list";
        return v.getClass().getSimpleName();
    }
}
