package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.MapPlan;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.message.ModuleRef;
import dev.pipewright.protocol.message.OutputType;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.pipeline.RetryPolicy;

import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checked job as the submit scripts take it: the job's fields (one JSON object) and its task
 * table, one chunk at a time (a job of 100,000 tasks never holds them all as JSON trees). Pure.
 */
final class JobEncoding {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pipeline pipeline;
    private final PipelineGraph graph;
    private final Set<String> runSet;
    private final Set<String> reuse;
    private final Map<String, String> poolOf;
    /** Per output with a source: its location in the data store (resolved, in its owner's area). */
    private final Map<String, String> sinks;
    private final String reuseFrom;
    private final boolean chunked;
    /** The module each module node runs, pinned at submit. */
    private Map<String, ModuleRef> modules = Map.of();
    /** Which nodes run once per item of a mapped list. */
    private final MapPlan maps;

    /**
     * @param run the nodes to run, in execution order
     * @param reuse nodes whose outputs an earlier job gave (created done)
     * @param poolOf pools the routing chose (a node not named keeps its own)
     * @param chunked whether the table comes in more than one chunk (then each task lists its parents)
     */
    JobEncoding(Pipeline pipeline, PipelineGraph graph, List<String> run, Set<String> reuse, Map<String, String> poolOf,
                Map<String, String> sinks, String reuseFrom, boolean chunked) {
        this.pipeline = pipeline;
        this.graph = graph;
        this.runSet = new HashSet<>(run);
        this.reuse = new HashSet<>(reuse);
        this.reuse.retainAll(runSet);
        this.maps = new MapPlan(pipeline);
        // a per-item node's values live under per-item names an earlier job's outputs do not carry
        this.reuse.removeIf(node -> maps.mapped(node) != null);
        this.poolOf = poolOf;
        this.sinks = sinks;
        this.reuseFrom = reuseFrom;
        this.chunked = chunked;
    }

    /** Each node's effective config, where it is not the pipeline's as it is (parameters resolved, an override merged in). */
    private Map<String, Map<String, Object>> configs = Map.of();

    /** Puts these effective configs into the nodes' task specs (a node not named keeps its pipeline config). */
    JobEncoding withConfigs(Map<String, Map<String, Object>> configs) {
        this.configs = configs;
        return this;
    }

    /** The declared type and schema of a node's typed outputs, for the worker to check; null when none is typed. */
    private Map<String, OutputType> outputTypes(ProcessNode p) {
        Map<String, OutputType> types = null;
        for (String out : p.output()) {
            DataNode d = pipeline.dataNodes().get(out);
            if (d != null && (d.type() != null || d.schema() != null)) {
                if (types == null) {
                    types = new java.util.LinkedHashMap<>();
                }
                types.put(out, new OutputType(d.type(), d.schema()));
            }
        }
        return types;
    }

    /** Memoisation: the cache pins of nodes with {@code cache:}, and the nodes taken from the cache (created CACHED). */
    private Map<String, dev.pipewright.protocol.cache.CacheSpec> cacheSpecs = Map.of();
    private Map<String, String> cachedFrom = Map.of();

    /**
     * Pins what the cache key needs into the spec of these nodes, and creates the nodes of
     * {@code cachedFrom} CACHED with the outputs of that job's entry (given with the job inputs).
     */
    JobEncoding withCache(Map<String, dev.pipewright.protocol.cache.CacheSpec> specs, Map<String, String> cachedFrom) {
        this.cacheSpecs = specs;
        this.cachedFrom = cachedFrom;
        this.reuse.addAll(cachedFrom.keySet());
        this.reuse.retainAll(runSet);
        return this;
    }

    /** A node's task spec as the job stores it (without cache pins): what its cache key is computed from. */
    TaskSpec spec(String node) {
        ProcessNode p = pipeline.processNodes().get(node);
        return new TaskSpec(p.processor(), configs.getOrDefault(node, p.config()), p.input(), p.output(),
                p.timeout() == null ? 0 : p.timeout().toMillis(), modules.get(node), optionalOutputs(p), outputTypes(p), null);
    }

    /** Pins the module each of these nodes runs into its task spec. */
    JobEncoding withModules(Map<String, ModuleRef> modules) {
        this.modules = modules;
        return this;
    }

    /** The job's fields: identity, pipeline version, parameters, wanted outputs, pruned nodes, deadline and its meta. */
    static ObjectNode jobFields(JobId id, String pipelineId, int version, Pipeline pipeline, Map<String, Object> params,
                                SubmitRequest request, ExecutionPlan plan, String owner) throws JsonProcessingException {
        ObjectNode job = JSON.createObjectNode();
        job.put("id", id.value());
        job.put("pipeline", pipelineId);
        job.put("version", version);
        job.put("params", JSON.writeValueAsString(params));
        job.put("outputs", JSON.writeValueAsString(request.outputs()));
        job.put("pruned", JSON.writeValueAsString(plan.pruned()));
        job.put("deadline", pipeline.deadline() == null ? 0 : pipeline.deadline().toMillis());
        if (request.reuseFrom() != null) {
            job.put("retryOf", request.reuseFrom());
        }
        JobMeta meta = request.meta();
        job.put("name", meta.name() != null ? meta.name() : id.value());
        job.put("priority", meta.priorityOrDefault().wireName());
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
        if (meta.rerunOf() != null) {
            job.put("rerunOf", meta.rerunOf());
        }
        if (meta.idempotency() != null) {
            job.put("idem", meta.idempotency());
        }
        if (meta.scheduledFor() != null) {
            job.put("trigger", meta.trigger());
            job.put("scheduled_for", meta.scheduledFor().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        }
        return job;
    }

    /** How long a job of this pipeline is kept once it ended: the pipeline's {@code retention}, else the installation's. */
    static java.time.Duration retention(Pipeline pipeline, java.time.Duration installation) {
        return pipeline.retention() != null ? pipeline.retention() : installation;
    }

    /** One chunk of the task table: per node its spec, pool, parents and children to run, limits, retry policy and sinks. */
    String taskTable(List<String> nodes) {
        ArrayNode tasks = JSON.createArrayNode();
        for (String node : nodes) {
            ProcessNode p = pipeline.processNodes().get(node);
            RetryPolicy r = p.retries();
            List<String> optionalOutputs = optionalOutputs(p);
            TaskSpec spec = spec(node);
            if (cacheSpecs.containsKey(node)) {
                spec = spec.withCache(cacheSpecs.get(node));
            }
            ObjectNode t = tasks.addObject();
            t.put("node", node);
            t.put("processor", p.processor());
            t.put("pool", poolOf.getOrDefault(node, p.pool()));
            try {
                t.put("spec", JSON.writeValueAsString(spec));
            } catch (JsonProcessingException e) {
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
            if (cachedFrom.containsKey(node)) {
                t.put("done", cachedFrom.get(node));
                t.put("cached", true);
            } else if (reuse.contains(node)) {
                t.put("done", reuseFrom);
            }
            optionalFields(t, p, optionalOutputs);
            ObjectNode sink = JSON.createObjectNode();
            for (String out : p.output()) {
                String location = sinks.get(out);
                if (location != null) {
                    sink.put(out, location);
                }
            }
            if (!sink.isEmpty()) {
                t.put("sink", sink.toString());
            }
            MapPlan.Mapped mapped = maps.mapped(node);
            if (mapped != null) {
                // a group: expanded into one task per item once its parents are done (map.lua)
                ObjectNode map = JSON.createObjectNode();
                map.put("l", mapped.list());
                mapped.itemInputs().forEach(map.putArray("i")::add);
                p.output().forEach(map.putArray("o")::add);
                t.put("map", map.toString());
            }
        }
        return tasks.toString();
    }

    /** The outputs of a node declared {@code optional: true}, which its processor may leave unproduced. */
    private List<String> optionalOutputs(ProcessNode p) {
        List<String> out = new java.util.ArrayList<>();
        for (String o : p.output()) {
            DataNode d = o == null ? null : pipeline.dataNodes().get(o);
            if (d != null && d.optional()) {
                out.add(o);
            }
        }
        return out;
    }

    /**
     * Only for nodes that have or read optional outputs, so ordinary tasks cost nothing more: {@code opt},
     * the optional outputs the release script checks for a value when the task succeeds (children that
     * need one left unproduced are skipped); and in a chunked table {@code oi}, the optional inputs with
     * their producers, checked when the task is written after its producer ended.
     */
    private void optionalFields(ObjectNode t, ProcessNode p, List<String> optionalOutputs) {
        if (!optionalOutputs.isEmpty()) {
            ArrayNode opt = t.putArray("opt");
            optionalOutputs.forEach(opt::add);
        }
        if (chunked) {
            ObjectNode oi = JSON.createObjectNode();
            for (String in : p.input()) {
                DataNode d = in == null ? null : pipeline.dataNodes().get(in);
                String producer = d == null ? null : graph.producerOf(in);
                if (d != null && d.optional() && producer != null && runSet.contains(producer)) {
                    oi.put(in, producer);
                }
            }
            if (!oi.isEmpty()) {
                t.set("oi", oi);
            }
        }
    }
}
