package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.overseer.api.view.Pages;
import dev.pipewright.overseer.cache.CachePlanner;
import dev.pipewright.overseer.graph.Graphs;
import dev.pipewright.overseer.jobs.Idempotency;
import dev.pipewright.overseer.jobs.JobAnswers;
import dev.pipewright.overseer.jobs.JobControl;
import dev.pipewright.overseer.jobs.JobLogsView;
import dev.pipewright.overseer.jobs.JobMeta;
import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.overseer.jobs.JobSubmitter;
import dev.pipewright.overseer.jobs.JobView;
import dev.pipewright.overseer.jobs.LogLineView;
import dev.pipewright.overseer.jobs.NoSuchJob;
import dev.pipewright.overseer.jobs.SubmitRequest;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.retention.JobRemoval;
import dev.pipewright.overseer.runs.RunStore;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.data.S3Uri;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.RunId;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.render.GraphFormat;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.protocol.state.JobState;
import dev.pipewright.protocol.state.TaskState;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.pipewright.overseer.api.Requests.drawing;
import static dev.pipewright.overseer.api.Requests.filterValues;
import static dev.pipewright.overseer.api.Requests.graphFormat;
import static dev.pipewright.overseer.api.Requests.intParam;
import static dev.pipewright.overseer.api.Requests.json;
import static dev.pipewright.overseer.api.Requests.jsonBody;
import static dev.pipewright.overseer.api.Requests.owner;
import static dev.pipewright.overseer.api.Requests.ownerFilter;
import static dev.pipewright.overseer.api.Requests.pageAfter;
import static dev.pipewright.overseer.api.Requests.pageSize;

/** Jobs: submit (also into a run), list, show, tasks, consumables, logs, start, cancel, retry and draw. */
final class JobRoutes implements Routes {
    private static final Set<String> SUBMIT_FIELDS = Set.of("parameters", "inputs", "outputs", "version", "start", "config",
            "job_name", "priority", "cache", "refresh");
    private static final Set<String> CONFIG_FIELDS = Set.of("infra", "nodes");
    private static final List<String> JOB_STATUSES = java.util.Arrays.stream(JobState.values()).map(Enum::name).toList();
    private static final List<String> TASK_STATUSES = java.util.Arrays.stream(TaskState.values())
            .map(Enum::name).toList();
    private static final List<String> TRIGGERS = List.of("manual", "schedule");

    private final PipelineRoutes pipelines;
    private final JobSubmitter submitter;
    private final JobReader jobs;
    private final JobControl control;
    private final RunStore runs;
    private final Idempotency idempotency;
    private final Graphs graphs;
    private final JobRemoval removal;
    /** Where large consumables are read from (null without an object store). */
    private final ObjectStore objects;

    JobRoutes(PipelineRoutes pipelines, JobSubmitter submitter, JobReader jobs, JobControl control, RunStore runs,
              Idempotency idempotency, Graphs graphs, JobRemoval removal) {
        this.removal = removal;
        this.objects = submitter == null ? null : submitter.dataStore().objects();
        this.pipelines = pipelines;
        this.submitter = submitter;
        this.jobs = jobs;
        this.control = control;
        this.runs = runs;
        this.idempotency = idempotency;
        this.graphs = graphs;
    }

    @Override
    public Map<String, HttpApi.Handler> operations() {
        Map<String, HttpApi.Handler> ops = new LinkedHashMap<>();
        ops.put("submitJob", this::submit);
        ops.put("listJobs", this::listJobs);
        ops.put("runJob", this::runJob);
        ops.put("startJob", this::startJob);
        ops.put("getJob", this::getJob);
        ops.put("deleteJob", this::deleteJob);
        ops.put("listJobTasks", this::jobTasks);
        ops.put("listJobConsumables", this::jobConsumables);
        ops.put("getConsumable", this::consumable);
        ops.put("cancelJob", this::cancel);
        ops.put("retryJob", this::retry);
        ops.put("getJobLogs", this::logs);
        ops.put("drawJob", this::jobGraph);
        return ops;
    }

    /** A parsed job request: what to submit, the pipeline version asked for (null: latest), name, priority and infra. */
    record JobRequest(SubmitRequest request, Integer version, String name, Priority priority, Infra infra) {
    }

    static JobRequest parseJobRequest(JsonNode body, Set<String> allowed) {
        RequestBody b = new RequestBody(body, allowed);
        Map<String, Object> params = b.object("parameters");
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        JsonNode in = body.get("inputs");
        if (in != null && !in.isNull()) {
            if (!in.isObject()) {
                b.problem("inputs", "expected an object of data node values");
            } else {
                for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode v = e.getValue();
                    if (v.isTextual()) {
                        inputs.put(e.getKey(), v.asText().getBytes(StandardCharsets.UTF_8));
                    } else if (v.isObject() && v.size() == 1 && v.has("base64") && v.get("base64").isTextual()) {
                        try {
                            inputs.put(e.getKey(), Base64.getDecoder().decode(v.get("base64").asText()));
                        } catch (IllegalArgumentException ex) {
                            b.problem("inputs." + e.getKey() + ".base64", "not valid base64");
                        }
                    } else if (v.isNull()) {
                        b.problem("inputs." + e.getKey(), "expected text, {\"base64\": ...} or a JSON value, got null");
                    } else {
                        try {
                            inputs.put(e.getKey(), Requests.JSON.writeValueAsBytes(v));
                        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                            b.problem("inputs." + e.getKey(), "cannot be written as JSON");
                        }
                    }
                }
            }
        }
        List<String> outputs = new ArrayList<>(names(body, b, "outputs", "data node"));
        Integer version = null;
        JsonNode v = body.get("version");
        if (v != null && !v.isNull() && allowed.contains("version")) {
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
                b.problem("version", "expected a version number (1 or more)");
            } else {
                version = v.asInt();
            }
        }
        Boolean start = b.bool("start");
        RequestBody config = b.nested("config", CONFIG_FIELDS);
        Infra infra = config == null ? null : config.infra("infra");
        Map<String, Map<String, Object>> nodeConfig = config == null ? Map.of() : config.nodeConfigs("nodes");
        String name = b.text("job_name", false);
        Priority priority = allowed.contains("priority") ? Priority.parse(b.oneOfAnyCase("priority", Priority.NAMES, Priority.JOB_DEFAULT)) : null;
        CachePlanner.Choice cache = cacheChoice(body, b, allowed);
        b.check("the job request");
        return new JobRequest(new SubmitRequest(params, inputs, outputs, start == null || start).withNodeConfig(nodeConfig).withCache(cache), version, name, priority,
                infra);
    }

    /** {@code cache: false} (take no memoised result) and {@code refresh: [nodes]} (run these regardless); both still store fresh entries. */
    static CachePlanner.Choice cacheChoice(JsonNode body, RequestBody b, Set<String> allowed) {
        if (!allowed.contains("cache")) {
            return CachePlanner.Choice.DEFAULT;
        }
        Boolean use = b.bool("cache");
        Set<String> refresh = new java.util.LinkedHashSet<>(names(body, b, "refresh", "process node"));
        return new CachePlanner.Choice(use == null || use, refresh);
    }

    /** A list of {@code what} names at {@code field} (absent: empty); an item that is not text is a problem at its place. */
    private static List<String> names(JsonNode body, RequestBody b, String field, String what) {
        List<String> names = new ArrayList<>();
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return names;
        }
        if (!v.isArray()) {
            b.problem(field, "expected a list of " + what + " names");
            return names;
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                b.problem(field + "[" + i + "]", "expected a " + what + " name");
            } else {
                names.add(v.get(i).asText());
            }
        }
        return names;
    }

    private void submit(RoutingContext ctx) throws Exception {
        JobRequest r = parseJobRequest(jsonBody(ctx), SUBMIT_FIELDS);
        // the pipeline (the path) is a 404 when unknown; a version the body names that it lacks is a 400
        // at "version", as on run creation (POST /runs)
        StoredPipeline stored = pipelines.pipeline(ctx, null);
        if (r.version() != null && r.version() != stored.version()) {
            StoredPipeline asked = pipelines.pipelineVersion(stored.id(), r.version());
            if (asked == null) {
                throw ApiException.badRequest("invalid_request", "pipeline '" + stored.id() + "' has no version " + r.version(),
                        List.of(new Problem("version", "pipeline '" + stored.id() + "' has no version " + r.version()
                                + " (its latest is " + stored.version() + ")")));
            }
            stored = asked;
        }
        createJob(ctx, stored, r.request().withMeta(JobMeta.NONE.withName(r.name()).withPriority(r.priority()).withOwner(owner(ctx))
                .withInfra(r.infra())), null);
    }

    /**
     * Creates the job, honouring an {@code Idempotency-Key} header: the same key and request answer
     * the job created the first time (with {@code Idempotent-Replayed: true}).
     */
    void createJob(RoutingContext ctx, StoredPipeline stored, SubmitRequest request, RunId run) throws Exception {
        String key = ctx.request().getHeader(Idempotency.HEADER);
        String owner = owner(ctx);
        JobId fresh = JobId.random();
        if (key != null) {
            Idempotency.validate(key);
            // on the job, so that removing it frees the key
            request = request.withMeta(request.meta().withIdempotency(owner + ":" + key));
            // the same request however its JSON is spaced or its keys ordered
            JobId earlier = idempotency.claim(owner, key, Idempotency.digest(ctx.request().method().name(), ctx.request().path(),
                    Idempotency.canonical(jsonBody(ctx))), fresh);
            if (earlier != null) {
                Map<String, String> job = jobs.status(earlier);
                if (job == null) {
                    throw ApiException.conflict("a request with " + Idempotency.HEADER + " '" + key + "' is still in progress; retry shortly");
                }
                ctx.response().putHeader("Idempotent-Replayed", "true");
                json(ctx, 202, jobAccepted(earlier, job.get("status"), job.get("run")));
                return;
            }
        }
        JobSubmitter.Submitted created;
        try {
            if (run != null) {
                runs.addJob(run, fresh);
            }
            created = submitter.submitJob(stored, request, fresh, null, AuthHandler.principal(ctx).isAdmin());
            if (run != null) {
                runs.touch(run);
            }
        } catch (Exception e) {
            if (run != null) {
                runs.removeJob(run, fresh);
            }
            if (key != null) {
                idempotency.release(owner, key, fresh);
            }
            throw e;
        }
        json(ctx, 202, jobAccepted(fresh, created.status(), run == null ? null : run.value()));
    }

    private static JobAnswers.Accepted jobAccepted(JobId id, String status, String run) {
        return new JobAnswers.Accepted(id.value(), status, run);
    }

    static JobReader.Filter jobFilter(RoutingContext ctx) {
        Set<String> pipelineIds = filterValues(ctx, "pipeline", null);
        pipelineIds.addAll(filterValues(ctx, "pipeline_id", null));
        Set<String> runIds = filterValues(ctx, "run", null);
        runIds.addAll(filterValues(ctx, "run_id", null));
        for (String r : runIds) {
            if (!RunId.isValid(r)) {
                throw ApiException.badRequest("query parameter run: '" + r + "' is not a run id", "run");
            }
        }
        return new JobReader.Filter(filterValues(ctx, "status", JOB_STATUSES), pipelineIds, runIds,
                filterValues(ctx, "owner", null), filterValues(ctx, "priority", Priority.NAMES), filterValues(ctx, "trigger", TRIGGERS));
    }

    private JobId jobId(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!JobId.isValid(id)) {
            throw ApiException.notFound(NoSuchJob.message(id));
        }
        return new JobId(id);
    }

    /** The job of the path, when it exists and the caller may see it; else the same 404 either way. */
    private JobId visibleJob(RoutingContext ctx) throws Exception {
        JobId id = jobId(ctx);
        JobReader.Ownership o = jobs.ownership(id);
        if (!o.exists() || !AuthHandler.principal(ctx).canSee(o.owner())) {
            throw ApiException.notFound(NoSuchJob.message(id));
        }
        return id;
    }

    private void getJob(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        JobView view = jobs.get(id, !"false".equals(ctx.queryParams().get("tasks")));
        if (view == null) {
            throw ApiException.notFound(NoSuchJob.message(id));
        }
        json(ctx, 200, view);
    }

    /** Removes an ended job at once, everything of it (its owner or an admin; 409 while it has not ended). */
    private void deleteJob(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        // every step done before the answer: a GET that follows finds no job
        removal.delete(id);
        json(ctx, 200, new JobAnswers.Deleted(id.value(), true));
    }

    /** A page of the job's tasks in execution order, optionally of some states only. */
    private void jobTasks(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        Set<String> statuses = filterValues(ctx, "status", TASK_STATUSES);
        int size = intParam(ctx, "page_size", JobReader.TASK_PAGE_DEFAULT, 1, JobReader.TASK_PAGE_MAX);
        json(ctx, 200, Pages.of(jobs.tasksPage(id, statuses, pageAfter(ctx), size), Pages.Tasks::new));
    }

    /** A page of the job's consumables, small values inline. */
    private void jobConsumables(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        int size = intParam(ctx, "page_size", JobReader.CONSUMABLE_PAGE_DEFAULT, 1, JobReader.CONSUMABLE_PAGE_MAX);
        json(ctx, 200, Pages.of(jobs.consumablesPage(id, pageAfter(ctx), size), Pages.Consumables::new));
    }

    private void listJobs(RoutingContext ctx) throws Exception {
        JobReader.Filter f = jobFilter(ctx);
        f = f.withOwners(ownerFilter(ctx));
        json(ctx, 200, Pages.of(jobs.page(f, pageAfter(ctx), pageSize(ctx)), Pages.Jobs::new));
    }

    private void startJob(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        JobControl.Started s = control.start(id);
        json(ctx, s.started() ? 202 : 200, new JobAnswers.Started(id.value(), s.status(), s.started()));
    }

    /** Like {@code /start} for a built job; an ended job is run again as a new job (202 with its id and {@code rerun_of}). */
    private void runJob(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        JobAnswers.Started s = control.run(id, AuthHandler.principal(ctx).owner(), AuthHandler.principal(ctx).isAdmin());
        json(ctx, s.started() ? 202 : 200, s);
    }

    private void cancel(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        json(ctx, 202, new JobAnswers.Cancelled(id.value(), control.cancel(id)));
    }

    private void retry(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        JobSubmitter.Submitted rerun = control.rerunJob(id, AuthHandler.principal(ctx).owner(), AuthHandler.principal(ctx).isAdmin());
        // the status the new job really has: RUNNING, or PENDING at its pipeline's running-jobs limit
        json(ctx, 202, new JobAnswers.Retried(rerun.id().value(), rerun.status(), id.value()));
    }

    private void consumable(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        String node = ctx.pathParam("node");
        JobReader.Consumable c = jobs.consumable(id, node);
        if (c == null) {
            if (!jobs.exists(id)) {
                throw ApiException.notFound(NoSuchJob.message(id));
            }
            throw ApiException.notFound("job " + id + " has no value for data node '" + node + "' (yet)");
        }
        if (ObjectRef.isRef(c.bytes())) {
            streamObject(ctx, id, node, ObjectRef.decode(c.bytes()));
            return;
        }
        ctx.response().setStatusCode(200).putHeader("Content-Type", c.contentType())
                .end(io.vertx.core.buffer.Buffer.buffer(c.bytes()));
    }

    /**
     * A large consumable, streamed from the object store in 64 KiB pieces, each write awaited (the
     * overseer holds one piece at a time, however large the object), with its length and digest as
     * headers. A missing object or an unreachable store answers 502 with the reason before any byte.
     */
    private void streamObject(RoutingContext ctx, JobId id, String node, ObjectRef ref) throws Exception {
        if (objects == null) {
            throw new ApiException(502, "object_store_unavailable", "the value of '" + node + "' in job " + id + " is the object "
                    + ref.uri() + ", and this overseer has no object store configured (PW_DATA_STORE)", List.of());
        }
        java.io.InputStream in;
        try {
            in = objects.open(new S3Uri(ref.bucket(), ref.key()));
        } catch (java.io.IOException e) {
            throw new ApiException(502, "object_store_unavailable", "cannot read the value of '" + node + "' in job " + id + ": "
                    + e.getMessage(), List.of());
        }
        if (in == null) {
            throw new ApiException(502, "object_missing", "the value of '" + node + "' in job " + id + " is the object " + ref.uri()
                    + ", which is missing from the object store", List.of());
        }
        io.vertx.core.http.HttpServerResponse response = ctx.response();
        try (in) {
            response.setStatusCode(200).putHeader("Content-Type", ref.contentType() == null ? "application/octet-stream" : ref.contentType())
                    .putHeader("Content-Length", Long.toString(ref.size()));
            if (ref.sha256() != null) {
                response.putHeader("X-Pipewright-Sha256", ref.sha256());
            }
            byte[] piece = new byte[64 * 1024];
            int n;
            while ((n = in.readNBytes(piece, 0, piece.length)) > 0) {
                response.write(io.vertx.core.buffer.Buffer.buffer(java.util.Arrays.copyOf(piece, n)))
                        .toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
            response.end();
        } catch (Exception e) {
            // the status line is sent: all that is left is to cut the connection, so the client sees a short body
            response.reset();
        }
    }

    private void logs(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        String follow = ctx.queryParams().get("follow");
        if (follow != null && !follow.equals("true") && !follow.equals("false")) {
            throw ApiException.badRequest("query parameter follow must be true or false", "follow");
        }
        String node = ctx.queryParams().get("node");
        if (node != null && (node.isBlank() || !jobs.hasTask(id, node))) {
            throw ApiException.badRequest("query parameter node: job " + id + " has no task '" + node + "'"
                    + " (a node pruned from the job, or not in its pipeline)", "node");
        }
        Integer attempt = ctx.queryParams().contains("attempt") ? intParam(ctx, "attempt", 1, 1, Integer.MAX_VALUE) : null;
        if ("true".equals(follow)) {
            LogFollower.follow(ctx, jobs, id, node, attempt);
            return;
        }
        Map<String, List<LogLineView>> logs = new LinkedHashMap<>();
        jobs.logs().lines(id, node, attempt).forEach((n, lines) -> logs.put(n, lines.stream().map(LogLineView::of).toList()));
        json(ctx, 200, new JobLogsView(logs));
    }

    private void jobGraph(RoutingContext ctx) throws Exception {
        GraphFormat format = graphFormat(ctx);
        JobId id = visibleJob(ctx);
        GraphView view = graphs.job(id);
        if (view == null) {
            throw ApiException.notFound(NoSuchJob.message(id));
        }
        drawing(ctx, format, view);
    }
}
