package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.cache.CachePlanner;
import dev.pipewright.overseer.cache.CacheStore;
import dev.pipewright.overseer.config.InputLimits;
import dev.pipewright.overseer.datastore.DataStore;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.modules.ModuleStore;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.overseer.typed.RunConfig;
import dev.pipewright.overseer.typed.TypedData;
import dev.pipewright.overseer.workers.WorkerDirectory;
import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.job.Capacity;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.ContentTypes;
import dev.pipewright.protocol.message.ModuleRef;
import dev.pipewright.protocol.module.ModuleNames;
import dev.pipewright.protocol.module.Requirements;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
    private final RedisClusterAsyncCommands<String, String> redis;
    private final PipelineStore pipelines;
    private final OverseerMetrics metrics;
    private final Duration retention;
    private final InputLimits limits;
    private final CacheStore cacheStore;
    /** Uploaded modules, when this overseer serves them (null: a processor name is never a module). */
    private volatile ModuleStore modules;

    /** A submitter whose jobs are kept 7 days after they end, unless their pipeline says {@code retention}. */
    public JobSubmitter(Keys keys, StateGateway state, DataStore dataStore, WorkerDirectory workers, PublisherPool publishers,
                        RedisClusterAsyncCommands<String, String> redis, PipelineStore pipelines, OverseerMetrics metrics) {
        this(keys, state, dataStore, workers, publishers, redis, pipelines, metrics, Duration.ofDays(7));
    }

    /** @param retention how long an ended job is kept when its pipeline does not say ({@code PW_JOB_RETENTION}) */
    public JobSubmitter(Keys keys, StateGateway state, DataStore dataStore, WorkerDirectory workers, PublisherPool publishers,
                        RedisClusterAsyncCommands<String, String> redis, PipelineStore pipelines, OverseerMetrics metrics, Duration retention) {
        this(keys, state, dataStore, workers, publishers, redis, pipelines, metrics, retention, InputLimits.DEFAULTS);
    }

    /** @param limits the most tasks one job runs and the largest parameters it takes ({@code PW_MAX_JOB_TASKS}, {@code PW_MAX_PARAM*_BYTES}) */
    public JobSubmitter(Keys keys, StateGateway state, DataStore dataStore, WorkerDirectory workers, PublisherPool publishers,
                        RedisClusterAsyncCommands<String, String> redis, PipelineStore pipelines, OverseerMetrics metrics, Duration retention,
                        InputLimits limits) {
        this.limits = limits;
        this.cacheStore = new CacheStore(keys, redis);
        this.retention = retention;
        this.pipelines = pipelines;
        this.metrics = metrics;
        this.publishers = publishers;
        this.redis = redis;
        this.keys = keys;
        this.state = state;
        this.dataStore = dataStore;
        this.workers = workers;
    }

    /** Lets process nodes name uploaded modules ({@code my_module}, {@code my_module@3}). */
    public JobSubmitter withModules(ModuleStore modules) {
        this.modules = modules;
        return this;
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

    /** The memoised results jobs of this submitter take and their workers store. */
    public CacheStore cacheStore() {
        return cacheStore;
    }

    /**
     * What a job of this request would take from the cache, per node (the plan's seed-001 view),
     * resolved exactly as {@link #submitJob} resolves it, with the job inputs the request gives
     * (values: their digests chain the availability downstream) and those a job of the request's
     * owner would read from a {@code source} (read without pinning; one that cannot be read leaves
     * its readers {@code n/a}). Null when no process node declares {@code cache:}.
     *
     * @param strict refuse a request with problems (POST /plan); otherwise answer null for it
     */
    public CachePlanner.Resolution planCache(StoredPipeline stored, SubmitRequest request, java.util.Collection<String> available,
                                             boolean strict) throws Exception {
        Pipeline pipeline = stored.pipeline();
        PipelineGraph graph = stored.graph();
        if (!CachePlanner.anyCached(pipeline, graph.topologicalOrder())) {
            return null;
        }
        JobChecks.Checked checked = JobChecks.request(pipeline, graph, request);
        List<Problem> problems = new ArrayList<>(checked.problems());
        int r = 0;
        for (String node : request.cache().refresh()) {
            if (!pipeline.processNodes().containsKey(node)) {
                problems.add(new Problem("refresh[" + r + "]", "unknown process node '" + node + "'"));
            }
            r++;
        }
        if (!problems.isEmpty()) {
            if (strict) {
                throw Refusal.invalid("invalid_request", "the plan request has " + problems.size() + " problem(s)", problems);
            }
            return null;
        }
        Set<String> have = new HashSet<>(available);
        have.addAll(checked.inputs().keySet());
        have.addAll(graph.inputsWithSource());
        ExecutionPlan plan = graph.plan(Set.copyOf(request.outputs()), have);
        Map<String, String> poolOf = new HashMap<>();
        // routing, config and source problems are the submit's to report; the plan takes what it can know
        Map<String, ModuleRef> moduleOf = routeAndCheck(pipeline, plan.run(), request, new ArrayList<>(), poolOf);
        Map<String, Map<String, Object>> configs = RunConfig.effective(pipeline, plan.run(), checked.params(), request.nodeConfig(),
                new ArrayList<>());
        JobEncoding encoding = new JobEncoding(pipeline, graph, plan.run(), Set.of(), poolOf, Map.of(), null, false).withModules(moduleOf)
                .withConfigs(configs);
        Map<String, byte[]> inputs = new HashMap<>(checked.inputs());
        peekSources(pipeline, plan, checked.params(), inputs, request.meta().owner());
        return CachePlanner.resolve(stored.id(), pipeline, graph, graph.topologicalOrder(), plan.run(), encoding::spec, inputs,
                checked.params(), cacheStore.processors(), moduleOf, request.cache(), Set.copyOf(request.outputs()), cacheStore::get);
    }

    /**
     * For a plan: the job inputs with a source that the request did not give, read as a job submitted
     * now by owner would read them, so their readers' cache keys are known. One that cannot be read
     * (refused, missing, too large to read for a plan) stays unknown and its readers show n/a.
     */
    private void peekSources(Pipeline pipeline, ExecutionPlan plan, Map<String, Object> params, Map<String, byte[]> inputs, String owner) {
        for (String in : plan.jobInputs()) {
            if (!inputs.containsKey(in) && pipeline.dataNodes().get(in).source() != null) {
                DataPaths.Location location = JobChecks.locate(pipeline.dataNodes().get(in).source(), params, owner, "dataNodes." + in,
                        dataStore.allowedSources(), new ArrayList<>());
                try {
                    byte[] bytes = location == null ? null : dataStore.peekInput(location.path());
                    if (bytes != null) {
                        inputs.put(in, bytes);
                    }
                } catch (java.io.IOException e) {
                    // unknown for the plan; the submit reports it
                }
            }
        }
    }

    /** The data store sources are read from and outputs written to. */
    public DataStore dataStore() {
        return dataStore;
    }

    /**
     * Checks the request (parameters, inputs, plan, sources), routes its tasks to pools, encodes the
     * job and writes it: the first chunk with the job itself, the rest chunk by chunk while the first
     * tasks already run. Refuses an invalid request with every problem found, before writing anything.
     */
    public Submitted submitJob(StoredPipeline stored, SubmitRequest request, JobId id, String owner) throws Exception {
        return submitJob(stored, request, id, owner, false);
    }

    /**
     * Like {@link #submitJob(StoredPipeline, SubmitRequest, JobId, String)}; {@code mayWriteShared}: its
     * outputs may be written to the data store's shared area (the submitter is an admin).
     */
    public Submitted submitJob(StoredPipeline stored, SubmitRequest request, JobId id, String owner, boolean mayWriteShared)
            throws Exception {
        return submitJob(stored, request, id, owner, mayWriteShared, false);
    }

    /**
     * Like the above; {@code platformValues}: the request's input values come from the platform (a
     * re-run passing an ended job's values, object references re-pinned for the new job), not from a
     * user, so a value that is an object reference is taken as one.
     */
    Submitted submitJob(StoredPipeline stored, SubmitRequest request, JobId id, String owner, boolean mayWriteShared,
                        boolean platformValues) throws Exception {
        Pipeline pipeline = stored.pipeline();
        PipelineGraph graph = stored.graph();
        JobChecks.Checked checked = JobChecks.request(pipeline, graph, request);
        List<Problem> sizes = new ArrayList<>(JobChecks.parameterSizes(checked.params(), limits.maxParamBytes(), limits.maxParamsBytes()));
        sizes.addAll(RunConfig.size(request.nodeConfig(), limits.maxParamsBytes()));
        if (!sizes.isEmpty()) {
            throw Refusal.invalid("parameters_too_large", "the job's parameters are over the size limits", sizes);
        }
        if (!checked.problems().isEmpty()) {
            throw Refusal.invalid("invalid_request", "the job request has " + checked.problems().size() + " problem(s)", checked.problems());
        }
        Map<String, Object> params = checked.params();
        Map<String, byte[]> inputs = checked.inputs();
        Set<String> available = new HashSet<>(inputs.keySet());
        available.addAll(graph.inputsWithSource());
        ExecutionPlan plan = graph.plan(Set.copyOf(request.outputs()), available);
        List<Problem> tooMany = JobChecks.taskCount(plan.run().size(), limits.maxJobTasks());
        if (!tooMany.isEmpty()) {
            // before the sources are read and the tasks encoded: what a job this size would cost is what the limit avoids
            throw Refusal.invalid("too_many_tasks", tooMany.get(0).message(), tooMany);
        }
        List<Problem> problems = JobChecks.plan(plan, request.outputs());
        Map<String, Map<String, Object>> configs = RunConfig.effective(pipeline, plan.run(), params, request.nodeConfig(), problems);
        boolean typed = !platformValues && TypedData.typed(pipeline);
        if (typed) {
            // given values are checked here; values read from sources where they are read
            inputs.forEach((node, value) -> TypedData.checkInput(pipeline.dataNodes().get(node), value, "inputs." + node, "", problems));
        }
        // sources are in the data store area of the job's owner (or the shared one)
        String dataOwner = owner != null ? owner : request.meta().owner();
        inputs.forEach((node, value) -> {
            if (!platformValues && ObjectRef.startsWithMagic(value, value.length)) {
                problems.add(new Problem("inputs." + node, "a value must not start with the bytes Pipewright reserves for object references"));
            }
        });
        readSources(pipeline, plan, params, inputs, problems, dataOwner, id, typed);
        Map<String, String> sinks = JobChecks.outputSources(pipeline, plan.run(), params, dataOwner, mayWriteShared,
                dataStore.allowedSources(), problems);
        sinks.forEach((out, location) -> {
            // now, not only when the output is copied: a job that could never store its output is refused at once
            String problem = dataStore.writeProblem(location);
            if (problem != null) {
                problems.add(new Problem("dataNodes." + out + ".source", problem));
            }
        });
        Map<String, String> poolOf = new HashMap<>();
        Map<String, ModuleRef> moduleOf = routeAndCheck(pipeline, plan.run(), request, problems, poolOf);
        int r = 0;
        for (String node : request.cache().refresh()) {
            if (!pipeline.processNodes().containsKey(node)) {
                problems.add(new Problem("refresh[" + r + "]", "unknown process node '" + node + "'"));
            }
            r++;
        }
        boolean cached = CachePlanner.anyCached(pipeline, plan.run());
        Map<String, CacheStore.ProcessorInfo> processors = cached ? cacheStore.processors() : Map.of();
        if (cached) {
            // a pipeline created before any worker announced its processors is checked here
            problems.addAll(CachePlanner.nonDeterministic(pipeline, processors));
        }
        if (!problems.isEmpty()) {
            throw Refusal.invalid("invalid_request", "the job cannot run: " + problems.size() + " problem(s)", problems);
        }

        List<List<String>> chunks = chunks(plan.run());
        JobEncoding encoding = new JobEncoding(pipeline, graph, plan.run(), request.reuse(), poolOf, sinks, request.reuseFrom(),
                chunks.size() > 1).withModules(moduleOf).withConfigs(configs);
        CachePlanner.Resolution memo = CachePlanner.Resolution.NONE;
        if (cached) {
            memo = CachePlanner.resolve(stored.id(), pipeline, graph, graph.topologicalOrder(), plan.run(), encoding::spec, inputs,
                    params, processors, moduleOf, request.cache(), Set.copyOf(request.outputs()), cacheStore::get);
            Map<String, String> from = new HashMap<>();
            memo.hits().forEach((node, entry) -> from.put(node, entry.job()));
            encoding.withCache(memo.specs(), from);
        }
        ObjectNode job = JobEncoding.jobFields(id, stored.id(), stored.version(), pipeline, params, request, plan, owner);
        // on the job, so the script that ends it can say when it expires
        job.put("retention", JobEncoding.retention(pipeline, retention).toMillis());
        if (!request.nodeConfig().isEmpty()) {
            // kept so that a re-run of the job runs with the same configuration
            job.put("config", JSON.writeValueAsString(request.nodeConfig()));
        }
        Map<String, StateGateway.Output> values = new LinkedHashMap<>();
        inputs.forEach((node, value) -> values.put(node, new StateGateway.Output(value, ObjectRef.isRef(value)
                ? ObjectRef.decode(value).contentType() : TypedData.contentType(pipeline.dataNodes().get(node), ContentTypes.sniff(value)))));
        memo.hits().forEach((node, entry) -> entry.outputs().forEach(o -> values.put(o.dataNode(),
                new StateGateway.Output(o.value(), o.contentType()))));
        StateGateway.Submission submission = new StateGateway.Submission(id, bytes(JSON.writeValueAsString(job)),
                bytes(encoding.taskTable(chunks.get(0))), request.start(), plan.run().size(), chunks.size() > 1, BUILD_PATIENCE, values);
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
        metrics.jobSubmitted(stored.id());
        metrics.ended(reply.ends()); // a re-run that reuses every output ends at once
        publishers.publishQuietly(reply.dispatched());
        for (int i = 1; i < chunks.size(); i++) {
            // the first tasks run meanwhile; a crash here leaves the job building, and its build timer fails it
            OutboxEntry.Reply written = state.submitChunk(id, bytes(encoding.taskTable(chunks.get(i))), i == chunks.size() - 1, BUILD_PATIENCE);
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

    /** Job inputs with a source that the request did not give are read from the data store now (the owner's area, or shared). */
    private void readSources(Pipeline pipeline, ExecutionPlan plan, Map<String, Object> params, Map<String, byte[]> inputs,
                             List<Problem> problems, String owner, JobId job, boolean typed) {
        for (String in : plan.jobInputs()) {
            if (!inputs.containsKey(in) && pipeline.dataNodes().get(in).source() != null) {
                String at = "dataNodes." + in + ".source";
                DataPaths.Location location = JobChecks.locate(pipeline.dataNodes().get(in).source(), params, owner, at,
                        dataStore.allowedSources(), problems);
                if (location == null) {
                    continue;
                }
                String path = location.path();
                byte[] bytes;
                try {
                    // a large object is pinned by a copy in the job's prefix and referenced, not loaded
                    bytes = dataStore.readInput(path, job.value(), in);
                } catch (java.io.IOException e) {
                    problems.add(new Problem(at, "cannot read '" + path + "': " + e.getMessage()));
                    continue;
                }
                if (bytes == null) {
                    problems.add(new Problem(at, "'" + path + "' does not exist in the data store"));
                } else {
                    inputs.put(in, bytes);
                    if (typed) {
                        TypedData.checkInput(pipeline.dataNodes().get(in), bytes, at, "'" + path + "': ", problems);
                    }
                }
            }
        }
    }

    /**
     * Resolves which nodes run an uploaded module, routes the tasks by what the live workers offer
     * and checks that each pool serves its processor (or, for a module, has a worker with modules
     * enabled). Fills {@code poolOf}; answers the module each module node runs, pinned by digest.
     */
    private Map<String, ModuleRef> routeAndCheck(Pipeline pipeline, List<String> run, SubmitRequest request, List<Problem> problems,
                                                 Map<String, String> poolOf) throws Exception {
        Map<String, Set<String>> served = workers.served();
        Map<String, Set<String>> known = new java.util.HashMap<>();
        java.util.function.BiPredicate<String, String> servesProcessor = (pool, processor) ->
                served.getOrDefault(pool, Set.of()).contains(processor) || known.computeIfAbsent(pool, this::knownProcessors).contains(processor);
        Map<String, ModuleRef> moduleOf = resolveModules(pipeline, run, request.reuse(), servesProcessor, problems);
        Set<String> moduleProcessors = new HashSet<>();
        moduleOf.keySet().forEach(node -> moduleProcessors.add(pipeline.processNodes().get(node).processor()));
        java.util.function.BiPredicate<String, String> serves = (pool, processor) -> moduleProcessors.contains(processor)
                ? servesProcessor.test(pool, ModuleNames.MODULES_PROCESSOR) : servesProcessor.test(pool, processor);
        Infra infra = request.meta().infra();
        Map<String, Capacity> capacities = Map.of();
        if (infra != null && !infra.toMap().isEmpty()) {
            Set<String> candidates = new java.util.TreeSet<>(served.keySet());
            candidates.addAll(workers.namedPools());
            candidates.add(ProcessNode.DEFAULT_POOL);
            capacities = workers.capacities(candidates);
        }
        poolOf.putAll(PoolRouting.route(pipeline, run, request.reuse(), infra, capacities, serves, problems));
        PoolRouting.checkServed(pipeline, run, request.reuse(), poolOf, serves,
                pool -> served.containsKey(pool) || !known.computeIfAbsent(pool, this::knownProcessors).isEmpty(),
                moduleOf.keySet(), modules != null, problems);
        return moduleOf;
    }

    /**
     * The nodes that run an uploaded module. {@code name@N} always names a module version. A plain
     * name is a registered processor when some worker ever announced it for the node's pool (an
     * operator's processor is never shadowed by an upload), else the latest version of the module
     * of that name, if there is one. The version is pinned by its digest, so a later upload or a
     * delete never changes what this job runs. A node with requirements of its own that runs a
     * registered processor is refused (only modules get an environment built).
     */
    private Map<String, ModuleRef> resolveModules(Pipeline pipeline, List<String> run, Set<String> reuse,
                                                  java.util.function.BiPredicate<String, String> servesProcessor, List<Problem> problems)
            throws Exception {
        Map<String, ModuleRef> out = new HashMap<>();
        ModuleStore store = modules;
        Map<String, ModuleStore.Version> seen = new HashMap<>();
        for (String node : run) {
            if (reuse.contains(node)) {
                continue;
            }
            ProcessNode p = pipeline.processNodes().get(node);
            String at = "processNodes." + node + ".processor";
            ModuleNames.ProcessorRef ref = ModuleNames.parse(p.processor());
            if (ref == null) {
                continue;
            }
            boolean processor = !ref.pinned() && servesProcessor.test(p.pool(), ref.name());
            ModuleStore.Version v = null;
            if (!processor && store != null) {
                String key = ref.toString();
                v = seen.containsKey(key) ? seen.get(key) : store.version(ref.name(), ref.version());
                seen.put(key, v);
            }
            if (v == null) {
                if (ref.pinned()) {
                    problems.add(new Problem(at, store == null ? "'" + p.processor() + "' names a module version, and this overseer"
                            + " serves no modules" : unknownVersion(store, ref)));
                } else if (!p.requirements().isEmpty() && processor) {
                    problems.add(new Problem("processNodes." + node + ".requirement", "processor '" + p.processor()
                            + "' is a registered processor: requirements are installed for uploaded modules only"));
                }
                continue;
            }
            out.put(node, new ModuleRef(v.name(), v.version(), v.digest(), v.kind(), v.entry(),
                    Requirements.effective(pipeline.requirements(), p.requirements())));
        }
        return out;
    }

    private static String unknownVersion(ModuleStore store, ModuleNames.ProcessorRef ref) throws Exception {
        List<ModuleStore.Version> versions = store.versions(ref.name());
        if (versions.isEmpty()) {
            return "no module '" + ref.name() + "' (upload it with POST /api/v1/modules/" + ref.name() + ")";
        }
        return "module '" + ref.name() + "' has no version " + ref.version() + " (its versions: "
                + versions.stream().map(x -> Integer.toString(x.version())).collect(java.util.stream.Collectors.joining(", ")) + ")";
    }

    private Set<String> knownProcessors(String pool) {
        try {
            return workers.known(pool);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the processors of pool " + pool + ": " + e.getMessage(), e);
        }
    }
}
