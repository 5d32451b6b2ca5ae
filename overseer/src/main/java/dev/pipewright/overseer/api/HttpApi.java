package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.auth.Principal;
import dev.pipewright.overseer.graph.Graphs;
import dev.pipewright.overseer.jobs.Idempotency;
import dev.pipewright.overseer.jobs.JobControl;
import dev.pipewright.overseer.jobs.JobMeta;
import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.overseer.jobs.JobSubmitter;
import dev.pipewright.overseer.jobs.SubmitRequest;
import dev.pipewright.overseer.limits.Limits;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.overseer.runs.RunStore;
import dev.pipewright.overseer.workers.WorkerDirectory;
import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.RunId;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.render.GraphFormat;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.protocol.state.JobState;
import dev.pipewright.protocol.state.RunStatus;
import dev.pipewright.render.GraphRenderer;
import dev.pipewright.render.GraphTooLargeException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The HTTP API. Bodies are read by Vert.x on the event loop, then each request is handled on a
 * virtual thread (Redis and the data store may block); every failure becomes the JSON error shape
 * {@code {"error": {"code", "message", "problems": [{"path", "message"}]}}}, 4xx logged at WARN,
 * 5xx at ERROR, never a stack trace to the client.
 *
 * <p>Every request passes, in order: the {@code Content-Length} cap (413), authentication and
 * authorization ({@link AuthHandler}: 401, 403, 429), then the body is read under the cap (413).
 * Jobs are visible to their owner and to admins only; anyone else gets the same 404 as for a job
 * that does not exist.
 */
public final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Request bodies: a field given twice is refused (which one counts would be a guess), as in pipeline documents. */
    private static final com.fasterxml.jackson.databind.ObjectReader BODY_READER =
            JSON.reader().with(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
    private static final Set<String> SUBMIT_FIELDS = Set.of("parameters", "inputs", "outputs", "version", "start", "config",
            "job_name", "priority");
    private static final Set<String> RUN_SUBMIT_FIELDS = Set.of("parameters", "inputs", "outputs", "start", "config", "job_name");
    private static final Set<String> CONFIG_FIELDS = Set.of("infra");
    private static final Set<String> RUN_FIELDS = Set.of("pipeline_id", "name", "priority", "tags", "domain_context", "version");
    private static final List<String> JOB_STATUSES = java.util.Arrays.stream(JobState.values()).map(Enum::name).toList();
    private static final List<String> TASK_STATUSES = java.util.Arrays.stream(dev.pipewright.protocol.state.TaskState.values())
            .map(Enum::name).toList();
    private static final List<String> RUN_STATUSES = java.util.Arrays.stream(RunStatus.values()).map(Enum::name).toList();
    private static final List<String> TRIGGERS = List.of("manual", "schedule");
    public static final int DEFAULT_PAGE_SIZE = 50;
    public static final int MAX_PAGE_SIZE = 500;
    /** Who a request acts for until authentication puts a principal on the context. */
    public static final String ANONYMOUS = "anonymous";

    private final PipelineParser parser;
    private final PipelineStore pipelines;
    private final JobSubmitter submitter;
    private final JobReader jobs;
    private final JobControl control;
    private final RunStore runs;
    private final Idempotency idempotency;
    private final WorkerDirectory workers;
    private final AdminApi admin;
    private final Limits limits;
    private final Graphs graphs;
    private final PrometheusMeterRegistry meters;
    private final BooleanSupplier ready;
    private final int maxBodyBytes;
    private final AuthHandler auth;
    private final TokenApi tokens;
    private final ScheduleApi schedules;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();

    public HttpApi(PipelineParser parser, PipelineStore pipelines, JobSubmitter submitter, JobReader jobs, JobControl control,
                   RunStore runs, Idempotency idempotency, WorkerDirectory workers, AdminApi admin, Limits limits,
                   PrometheusMeterRegistry meters, BooleanSupplier ready, int maxBodyBytes,
                   AuthHandler auth, TokenApi tokens, ScheduleApi schedules) {
        this.schedules = schedules;
        this.runs = runs;
        this.idempotency = idempotency;
        this.parser = parser;
        this.pipelines = pipelines;
        this.submitter = submitter;
        this.jobs = jobs;
        this.control = control;
        this.workers = workers;
        this.admin = admin;
        this.limits = limits;
        this.graphs = new Graphs(pipelines, jobs);
        this.meters = meters;
        this.ready = ready;
        this.maxBodyBytes = maxBodyBytes;
        this.auth = auth;
        this.tokens = tokens;
    }

    interface Handler {
        void handle(RoutingContext ctx) throws Exception;
    }

    /**
     * The handler of each operation of the contract ({@link ApiContract}), by {@code operationId}.
     * The router is built from the contract: an operation without a handler, or a handler without
     * an operation, stops start-up.
     */
    Map<String, Handler> operations() {
        Map<String, Handler> ops = new LinkedHashMap<>();
        ops.put("health", ctx -> json(ctx, 200, Map.of("status", "UP", "pid", ProcessHandle.current().pid())));
        ops.put("ready", this::ready);
        ops.put("metrics", ctx -> {
            if (meters == null) {
                throw ApiException.notFound("metrics are served on their own port (PW_METRICS_PORT), not on the API port");
            }
            ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(meters.scrape());
        });
        ops.put("contract", ctx -> ctx.response().putHeader("Content-Type", "application/yaml").end(ApiContract.text()));
        ops.put("validatePipeline", this::validate);
        ops.put("createPipeline", this::createPipeline);
        ops.put("listPipelines", this::listPipelines);
        ops.put("getPipeline", this::getPipeline);
        ops.put("deletePipeline", this::deletePipeline);
        ops.put("listPipelineVersions", this::pipelineVersions);
        ops.put("planPipeline", this::plan);
        ops.put("drawPipeline", this::pipelineGraph);
        ops.put("pauseSchedule", ctx -> json(ctx, 200, schedules.pause(ctx)));
        ops.put("resumeSchedule", ctx -> json(ctx, 200, schedules.resume(ctx)));
        ops.put("submitJob", this::submit);
        ops.put("createRun", this::createRun);
        ops.put("listRuns", this::listRuns);
        ops.put("getRun", this::getRun);
        ops.put("submitRunJob", this::submitToRun);
        ops.put("listRunJobs", this::listRunJobs);
        ops.put("listJobs", this::listJobs);
        ops.put("runJob", this::startJob);
        ops.put("startJob", this::startJob);
        ops.put("getJob", this::getJob);
        ops.put("listJobTasks", this::jobTasks);
        ops.put("listJobConsumables", this::jobConsumables);
        ops.put("getConsumable", this::consumable);
        ops.put("cancelJob", this::cancel);
        ops.put("retryJob", this::retry);
        ops.put("getJobLogs", this::logs);
        ops.put("drawJob", this::jobGraph);
        ops.put("listWorkers", this::listWorkers);
        // operator endpoints
        ops.put("listQueues", ctx -> json(ctx, 200, admin.queues(ctx)));
        ops.put("listWorkerViews", ctx -> json(ctx, 200, admin.workers(ctx)));
        ops.put("listPools", ctx -> json(ctx, 200, admin.pools(ctx)));
        ops.put("pausePool", ctx -> json(ctx, 200, admin.pause(ctx)));
        ops.put("resumePool", ctx -> json(ctx, 200, admin.resume(ctx)));
        ops.put("drainPool", ctx -> json(ctx, 200, admin.drain(ctx)));
        ops.put("listDeadLetters", ctx -> json(ctx, 200, admin.deadLetters(ctx)));
        ops.put("replayDeadLetters", ctx -> json(ctx, 200, admin.replay(jsonBody(ctx))));
        ops.put("purgeDeadLetters", ctx -> json(ctx, 200, admin.purge(jsonBody(ctx))));
        ops.put("getDeadLetter", ctx -> json(ctx, 200, admin.deadLetter(ctx)));
        ops.put("listLimits", ctx -> json(ctx, 200, Map.of("limits", limits.list())));
        ops.put("setLimit", ctx -> json(ctx, 200, limits.set(ctx.pathParam("kind"), ctx.pathParam("name"), jsonBody(ctx))));
        ops.put("removeLimit", ctx -> json(ctx, 200, limits.remove(ctx.pathParam("kind"), ctx.pathParam("name"))));
        // token management
        ops.put("createToken", ctx -> json(ctx, 201, tokens.create(jsonBody(ctx), AuthHandler.principal(ctx))));
        ops.put("listTokens", ctx -> json(ctx, 200, tokens.list()));
        ops.put("revokeToken", ctx -> json(ctx, 200, tokens.revoke(ctx.pathParam("id"))));
        return ops;
    }

    /**
     * The router, built from the contract: every request passes the body cap, authentication and
     * the body read ({@code rootHandler}s), then the contract's validation of its parameters and
     * body, then its operation's handler. Validation failures become the usual error shape.
     */
    public Future<Router> router(Vertx vertx) {
        return ApiContract.load(vertx).map(contract -> {
            RouterBuilder builder = RouterBuilder.create(vertx, contract, ContractRequests.extractor(BODY));
            builder.rootHandler(this::checkLength).rootHandler(auth).rootHandler(this::readBody);
            Map<String, Handler> ops = operations();
            for (OpenAPIRoute route : builder.getRoutes()) {
                String id = route.getOperation().getOperationId();
                Handler handler = ops.remove(id);
                if (handler == null) {
                    throw new IllegalStateException("openapi.yaml: operation '" + id + "' has no handler");
                }
                // the bearer scheme is enforced, with roles and rate limits, by the root AuthHandler
                route.setDoSecurity(false).addHandler(on(handler));
            }
            if (!ops.isEmpty()) {
                throw new IllegalStateException("handlers without an operation in openapi.yaml: " + ops.keySet());
            }
            Map<String, Set<String>> methodsByTemplate = new LinkedHashMap<>();
            for (OpenAPIRoute route : builder.getRoutes()) {
                methodsByTemplate.computeIfAbsent(route.getOperation().getOpenAPIPath(), p -> new java.util.TreeSet<>())
                        .add(route.getOperation().getHttpMethod().name());
            }
            Map<java.util.regex.Pattern, Set<String>> methodsByPath = new LinkedHashMap<>();
            methodsByTemplate.forEach((template, methods) -> methodsByPath.put(pathPattern(template), methods));
            Router router = builder.createRouter();
            router.route().last().handler(ctx -> {
                Set<String> allowed = new java.util.TreeSet<>();
                methodsByPath.forEach((p, methods) -> {
                    if (p.matcher(ctx.request().path()).matches()) {
                        allowed.addAll(methods);
                    }
                });
                if (allowed.isEmpty()) {
                    error(ctx, new ApiException(404, "not_found",
                            "no such endpoint: " + ctx.request().method() + " " + ctx.request().path(), List.of()));
                } else {
                    ctx.response().putHeader("Allow", String.join(", ", allowed));
                    error(ctx, new ApiException(405, "method_not_allowed", ctx.request().path() + " takes " + String.join(", ", allowed)
                            + ", not " + ctx.request().method(), List.of()));
                }
            });
            router.route().failureHandler(ctx -> {
                int status = ctx.statusCode();
                if (ContractRequests.isRefusal(ctx.failure())) {
                    // wording the problems may re-read a large body: not on the event loop
                    handlers.execute(() -> refuse(ctx, ContractRequests.refusal(ctx.failure(), ctx, BODY)));
                } else if (status == 413) {
                    error(ctx, new ApiException(413, "body_too_large", "the request body is larger than " + maxBodyBytes + " bytes", List.of()));
                } else if (status >= 400 && status < 500) {
                    error(ctx, new ApiException(status, "bad_request", "the request was refused (HTTP " + status + ")", List.of()));
                } else {
                    LOG.error("unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
                    error(ctx, new ApiException(500, "internal", "internal error", List.of()));
                }
            });
            return router;
        });
    }

    private io.vertx.core.Handler<RoutingContext> on(Handler handler) {
        return ctx -> handlers.execute(() -> {
            try {
                handler.handle(ctx);
            } catch (ApiException e) {
                error(ctx, e);
            } catch (Refusal r) {
                error(ctx, ApiException.of(r));
            } catch (Exception e) {
                if (storeUnavailable(e)) {
                    error(ctx, ApiException.unavailable("the job store (Redis) is unavailable; try again: " + e.getMessage()));
                } else {
                    LOG.error("request {} {} failed", ctx.request().method(), ctx.request().path(), e);
                    error(ctx, new ApiException(500, "internal", "internal error: " + e.getClass().getSimpleName(), List.of()));
                }
            }
        });
    }

    static final String BODY = "pw.body";

    /** A declared body over the cap is refused with 413 before anything else, token or not. */
    private void checkLength(RoutingContext ctx) {
        String length = ctx.request().getHeader("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > maxBodyBytes) {
                    tooLarge(ctx);
                    return;
                }
            } catch (NumberFormatException e) {
                refuse(ctx, ApiException.badRequest("bad Content-Length header", "Content-Length"));
                return;
            }
        }
        ctx.next();
    }

    /**
     * An error answer sent before the request body was read (a refused token, a bad header): on
     * HTTP/1 the unread body would be taken for the next request, so the connection closes.
     */
    public static void refuse(RoutingContext ctx, ApiException e) {
        HttpServerRequest req = ctx.request();
        boolean bodyPending = !req.isEnded() && (req.getHeader("Transfer-Encoding") != null
                || (req.getHeader("Content-Length") != null && !"0".equals(req.getHeader("Content-Length").trim())));
        if (bodyPending && req.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
            ctx.response().putHeader("Connection", "close");
        }
        error(ctx, e);
    }

    /** Buffers the body up to the cap; a larger one is refused with 413 before it is all read. */
    private void readBody(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        if (req.isEnded()) {
            ctx.put(BODY, Buffer.buffer());
            ctx.next();
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] refused = {false};
        req.handler(chunk -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + chunk.length() > maxBodyBytes) {
                refused[0] = true;
                tooLarge(ctx);
            } else {
                body.appendBuffer(chunk);
            }
        });
        req.endHandler(v -> {
            if (!refused[0]) {
                ctx.put(BODY, body);
                ctx.next();
            }
        });
        req.exceptionHandler(e -> LOG.debug("request body failed: {}", e.toString()));
        req.resume();
    }

    private void tooLarge(RoutingContext ctx) {
        // HTTP/2 forbids connection-specific headers (RFC 9113 8.2.2): a client would reject the whole answer
        if (ctx.request().version() != io.vertx.core.http.HttpVersion.HTTP_2) {
            ctx.response().putHeader("Connection", "close");
        }
        error(ctx, new ApiException(413, "body_too_large", "the request body is larger than " + maxBodyBytes + " bytes", List.of()));
    }

    /** Redis down or too slow: a 503 the client may retry, not a 500. */
    private static boolean storeUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.ConnectException
                    || t.getClass().getName().startsWith("io.lettuce.core.RedisConnection")
                    || t.getClass().getName().equals("io.lettuce.core.RedisException")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * The user a request acts for: the authentication handler's principal ({@code owner()}) when
     * there is one on the context under "principal", else {@value #ANONYMOUS}.
     */
    /** Who the request acts for (its token's owner). */
    static String owner(RoutingContext ctx) {
        return AuthHandler.principal(ctx).owner();
    }

    private void ready(RoutingContext ctx) {
        boolean ok = ready.getAsBoolean();
        json(ctx, ok ? 200 : 503, Map.of("status", ok ? "READY" : "NOT_READY"));
    }

    private void validate(RoutingContext ctx) {
        PipelineParser.Result r = parser.parse(bodyText(ctx));
        json(ctx, 200, Map.of("valid", r.valid(), "problems", r.problems()));
    }

    private void createPipeline(RoutingContext ctx) throws Exception {
        String source = bodyText(ctx);
        PipelineParser.Result r = parser.parse(source);
        if (!r.valid()) {
            throw ApiException.badRequest("invalid_pipeline", "the pipeline has " + r.problems().size() + " problem(s)", r.problems());
        }
        String name = ctx.queryParams().get("name");
        if (name != null && !PipelineParser.NAME.matcher(name).matches()) {
            throw ApiException.badRequest("bad pipeline name '" + name + "'", "name");
        }
        String id = PipelineStore.idFor(name != null ? name : r.pipeline().name(), source);
        StoredPipeline stored = pipelines.save(id, r, source, owner(ctx), AuthHandler.principal(ctx).isAdmin());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", stored.id());
        out.put("version", stored.version());
        out.put("name", r.pipeline().name() != null ? r.pipeline().name() : id); // as GET shows it; ?name= sets the id
        json(ctx, 201, out);
    }

    private void listPipelines(RoutingContext ctx) throws Exception {
        int size = pageSize(ctx);
        String after = pageAfter(ctx);
        Set<String> owners = filterValues(ctx, "owner", null);
        IndexScan.Entry from = null;
        if (after != null) {
            Double score = PipelineParser.NAME.matcher(after).matches() ? pipelines.score(after) : null;
            from = cursor(after, score);
        }
        IndexScan.Page<Map<String, Object>> page = IndexScan.page(List.of(pipelines.index()), from, size, JobReader.SCAN_BUDGET, ids -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (PipelineStore.Summary s : pipelines.summaries(ids)) {
                out.add(s == null || !(owners.isEmpty() || owners.contains(s.owner())) ? null : pipelineSummary(s));
            }
            return out;
        });
        json(ctx, 200, paged("pipelines", page));
    }

    private static Map<String, Object> pipelineSummary(PipelineStore.Summary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("latest_version", s.latestVersion());
        m.put("owner", s.owner());
        m.put("created_at", java.time.Instant.ofEpochMilli(s.createdAt()).toString());
        m.put("updated_at", java.time.Instant.ofEpochMilli(s.updatedAt()).toString());
        return m;
    }

    private void pipelineVersions(RoutingContext ctx) throws Exception {
        StoredPipeline latest = pipeline(ctx, null);
        List<Map<String, Object>> out = new ArrayList<>();
        for (PipelineStore.Version v : pipelines.versions(latest.id())) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("version", v.version());
            m.put("owner", v.owner());
            m.put("created_at", java.time.Instant.ofEpochMilli(v.createdAt()).toString());
            out.add(m);
        }
        json(ctx, 200, Map.of("id", latest.id(), "latest_version", latest.version(), "versions", out));
    }

    private void deletePipeline(RoutingContext ctx) throws Exception {
        StoredPipeline latest = pipeline(ctx, null);
        PipelineStore.Deleted d = pipelines.delete(latest.id(), owner(ctx), AuthHandler.principal(ctx).isAdmin());
        if (d == null) {
            throw ApiException.notFound("no pipeline '" + latest.id() + "'");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", latest.id());
        out.put("deleted", true);
        out.put("versions", d.versions());
        out.put("latest_version", d.latestVersion());
        json(ctx, 200, out);
    }

    private StoredPipeline pipeline(RoutingContext ctx, Integer version) throws Exception {
        String id = ctx.pathParam("id");
        if (!PipelineParser.NAME.matcher(id).matches()) {
            throw ApiException.notFound("no pipeline '" + id + "'");
        }
        StoredPipeline p = pipelines.find(id, version);
        if (p == null) {
            throw ApiException.notFound(version == null ? "no pipeline '" + id + "'" : "pipeline '" + id + "' has no version " + version);
        }
        return p;
    }

    private void getPipeline(RoutingContext ctx) throws Exception {
        StoredPipeline p = pipeline(ctx, ctx.queryParams().contains("version") ? intParam(ctx, "version", 1, 1, Integer.MAX_VALUE) : null);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", p.id());
        out.put("version", p.version());
        out.put("name", p.pipeline().name() != null ? p.pipeline().name() : p.id());
        out.put("description", p.pipeline().description());
        out.put("created_at", java.time.Instant.ofEpochMilli(p.createdAt()).toString());
        PipelineStore.Summary summary = pipelines.summary(p.id());
        out.put("latest_version", summary == null ? p.version() : summary.latestVersion());
        out.put("owner", summary == null ? null : summary.owner());
        out.put("updated_at", summary == null ? null : java.time.Instant.ofEpochMilli(summary.updatedAt()).toString());
        out.put("data_nodes", p.pipeline().dataNodes().keySet());
        out.put("process_nodes", p.pipeline().processNodes().keySet());
        out.put("parameters", p.pipeline().parameters().keySet());
        out.put("source", p.source());
        out.put("schedule", schedules.view(p.id()));
        json(ctx, 200, out);
    }

    private void plan(RoutingContext ctx) throws Exception {
        StoredPipeline p = pipeline(ctx, versionParam(ctx));
        List<String> outputs = listParam(ctx, "outputs");
        List<String> available = listParam(ctx, "available");
        checkPlan(p, outputs, available);
        json(ctx, 200, PlanView.of(p.graph(), outputs, available));
    }

    private void pipelineGraph(RoutingContext ctx) throws Exception {
        GraphFormat format = graphFormat(ctx);
        StoredPipeline p = pipeline(ctx, versionParam(ctx));
        List<String> outputs = listParam(ctx, "outputs");
        List<String> available = listParam(ctx, "available");
        checkPlan(p, outputs, available);
        drawing(ctx, format, Graphs.pipeline(p, outputs, available));
    }

    private void jobGraph(RoutingContext ctx) throws Exception {
        GraphFormat format = graphFormat(ctx);
        JobId id = visibleJob(ctx);
        GraphView view = graphs.job(id);
        if (view == null) {
            throw ApiException.notFound("no job '" + id + "'");
        }
        drawing(ctx, format, view);
    }

    private static void checkPlan(StoredPipeline p, List<String> outputs, List<String> available) {
        List<Problem> problems = PlanView.check(p.graph(), outputs, available);
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_plan_request", "the plan request has " + problems.size() + " problem(s)", problems);
        }
    }

    private static GraphFormat graphFormat(RoutingContext ctx) {
        String name = ctx.queryParams().get("format");
        GraphFormat format = name == null ? GraphFormat.SVG : GraphFormat.parse(name);
        if (format == null) {
            throw ApiException.badRequest("unknown graph format '" + name + "'; expected one of " + GraphFormat.names(), "format");
        }
        return format;
    }

    private static void drawing(RoutingContext ctx, GraphFormat format, GraphView view) {
        String text;
        try {
            text = GraphRenderer.render(view, format);
        } catch (GraphTooLargeException e) {
            throw ApiException.badRequest("graph_too_large", e.getMessage(), List.of(new Problem("format", e.getMessage())));
        }
        ctx.response().setStatusCode(200).putHeader("Content-Type", format.contentType()).end(text);
    }

    private static Integer versionParam(RoutingContext ctx) {
        return ctx.queryParams().contains("version") ? intParam(ctx, "version", 1, 1, Integer.MAX_VALUE) : null;
    }

    /** A list given as {@code ?name=a,b} and/or {@code ?name=a&name=b}, blanks dropped. */
    private static List<String> listParam(RoutingContext ctx, String name) {
        return ctx.queryParams().getAll(name).stream()
                .flatMap(s -> java.util.Arrays.stream(s.split(","))).map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
    }

    /** A parsed job request: what to submit, the pipeline version asked for (null: latest), name, priority and infra. */
    private record JobRequest(SubmitRequest request, Integer version, String name, String priority, Infra infra) {
    }

    private static JobRequest parseJobRequest(JsonNode body, Set<String> allowed) {
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
                            inputs.put(e.getKey(), JSON.writeValueAsBytes(v));
                        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                            b.problem("inputs." + e.getKey(), "cannot be written as JSON");
                        }
                    }
                }
            }
        }
        List<String> outputs = new ArrayList<>();
        JsonNode o = body.get("outputs");
        if (o != null && !o.isNull()) {
            if (!o.isArray()) {
                b.problem("outputs", "expected a list of data node names");
            } else {
                for (int i = 0; i < o.size(); i++) {
                    if (!o.get(i).isTextual()) {
                        b.problem("outputs[" + i + "]", "expected a data node name");
                    } else {
                        outputs.add(o.get(i).asText());
                    }
                }
            }
        }
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
        String name = b.text("job_name", false);
        String priority = allowed.contains("priority") ? b.oneOf("priority", Priority.NAMES, Priority.JOB_DEFAULT) : null;
        b.check("the job request");
        return new JobRequest(new SubmitRequest(params, inputs, outputs, start == null || start), version, name, priority, infra);
    }

    private void submit(RoutingContext ctx) throws Exception {
        JobRequest r = parseJobRequest(jsonBody(ctx), SUBMIT_FIELDS);
        StoredPipeline stored = pipeline(ctx, r.version());
        createJob(ctx, stored, r.request().withMeta(new JobMeta(r.name(), null, r.priority(), owner(ctx), r.infra())), null);
    }

    /**
     * Creates the job, honouring an {@code Idempotency-Key} header: the same key and request answer
     * the job created the first time (with {@code Idempotent-Replayed: true}).
     */
    private void createJob(RoutingContext ctx, StoredPipeline stored, SubmitRequest request, RunId run) throws Exception {
        String key = ctx.request().getHeader(Idempotency.HEADER);
        String owner = owner(ctx);
        JobId fresh = JobId.random();
        if (key != null) {
            Idempotency.validate(key);
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
            created = submitter.submitJob(stored, request, fresh, null);
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

    private static Map<String, Object> jobAccepted(JobId id, String status, String run) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id.value());
        out.put("status", status);
        if (run != null) {
            out.put("run_id", run);
        }
        return out;
    }

    // ---------------------------------------------------------------- runs

    private void createRun(RoutingContext ctx) throws Exception {
        RequestBody b = new RequestBody(jsonBody(ctx), RUN_FIELDS);
        String pipelineId = b.text("pipeline_id", true);
        String name = b.text("name", false);
        String priority = b.oneOf("priority", Priority.NAMES, Priority.RUN_DEFAULT);
        Map<String, String> tags = b.textMap("tags");
        Map<String, Object> domain = b.object("domain_context");
        Integer version = null;
        JsonNode v = jsonBody(ctx).get("version");
        if (v != null && !v.isNull()) {
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
                b.problem("version", "expected a version number (1 or more)");
            } else {
                version = v.asInt();
            }
        }
        if (pipelineId != null && !PipelineParser.NAME.matcher(pipelineId).matches()) {
            b.problem("pipeline_id", "no pipeline '" + pipelineId + "'");
        }
        b.check("the run");
        StoredPipeline p = pipelines.find(pipelineId, version);
        if (p == null) {
            throw ApiException.badRequest("invalid_request", "no pipeline '" + pipelineId + "'" + (version == null ? "" : " version " + version),
                    List.of(new Problem("pipeline_id", "no pipeline '" + pipelineId + "'" + (version == null ? "" : " version " + version))));
        }
        RunId id = runs.create(new RunStore.NewRun(name, p.id(), p.version(), priority, tags, domain, owner(ctx)));
        json(ctx, 201, runs.view(runs.find(id)));
    }

    private RunStore.Run run(RoutingContext ctx) throws Exception {
        String id = ctx.pathParam("id");
        RunStore.Run run = RunId.isValid(id) ? runs.find(new RunId(id)) : null;
        if (run == null || !AuthHandler.principal(ctx).canSee(run.owner())) {
            // someone else's run looks like no run at all (below admin)
            throw ApiException.notFound("no run '" + id + "'");
        }
        return run;
    }

    private void getRun(RoutingContext ctx) throws Exception {
        json(ctx, 200, runs.view(run(ctx)));
    }

    private void submitToRun(RoutingContext ctx) throws Exception {
        RunStore.Run run = run(ctx);
        JobRequest r = parseJobRequest(jsonBody(ctx), RUN_SUBMIT_FIELDS);
        StoredPipeline stored = pipelines.find(run.pipelineId(), run.pipelineVersion());
        if (stored == null) {
            throw ApiException.conflict("the run's pipeline '" + run.pipelineId() + "' v" + run.pipelineVersion() + " no longer exists");
        }
        createJob(ctx, stored, r.request().withMeta(new JobMeta(r.name(), run.id().value(), run.priority(), owner(ctx), r.infra())), run.id());
    }

    private void listRuns(RoutingContext ctx) throws Exception {
        int size = pageSize(ctx);
        String after = pageAfter(ctx);
        Set<String> statuses = filterValues(ctx, "status", RUN_STATUSES);
        Set<String> priorities = filterValues(ctx, "priority", Priority.NAMES);
        Set<String> pipelineIds = filterValues(ctx, "pipeline", null);
        pipelineIds.addAll(filterValues(ctx, "pipeline_id", null));
        Set<String> owners = ownerFilter(ctx);
        Map<String, String> tags = new LinkedHashMap<>();
        for (String t : ctx.queryParams().getAll("tag")) {
            int sep = t.indexOf(':') >= 0 ? t.indexOf(':') : t.indexOf('=');
            if (t.isBlank() || sep == 0) {
                throw ApiException.badRequest("query parameter tag must be NAME or NAME:VALUE, got '" + t + "'", "tag");
            }
            tags.put(sep < 0 ? t : t.substring(0, sep), sep < 0 ? null : t.substring(sep + 1));
        }
        IndexScan.Entry from = null;
        if (after != null) {
            from = cursor(after, RunId.isValid(after) ? runs.score(new RunId(after)) : null);
        }
        IndexScan.Page<Map<String, Object>> page = IndexScan.page(List.of(runs.index()), from, size, JobReader.SCAN_BUDGET, ids -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (RunStore.Run r : runs.findAll(ids)) {
                boolean keep = r != null && (priorities.isEmpty() || priorities.contains(r.priority()))
                        && (pipelineIds.isEmpty() || pipelineIds.contains(r.pipelineId()))
                        && (owners.isEmpty() || owners.contains(r.owner()));
                for (Map.Entry<String, String> t : tags.entrySet()) {
                    keep = keep && r.tags().containsKey(t.getKey()) && (t.getValue() == null || t.getValue().equals(r.tags().get(t.getKey())));
                }
                Map<String, Object> view = keep ? runs.view(r) : null;
                out.add(view != null && (statuses.isEmpty() || statuses.contains((String) view.get("status"))) ? view : null);
            }
            return out;
        });
        json(ctx, 200, paged("runs", page));
    }

    private void listRunJobs(RoutingContext ctx) throws Exception {
        RunStore.Run run = run(ctx);
        JobReader.Filter f = jobFilter(ctx);
        // as GET /jobs/{id}: below admin, a job someone else (an admin) submitted into your run is not shown
        JobReader.Filter inRun = f.withRuns(Set.of(run.id().value())).withOwners(ownerFilter(ctx));
        json(ctx, 200, paged("jobs", jobs.page(inRun, pageAfter(ctx), pageSize(ctx))));
    }

    // ---------------------------------------------------------------- paging and filters

    private static int pageSize(RoutingContext ctx) {
        if (ctx.queryParams().contains("page_size")) {
            return intParam(ctx, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
        }
        return intParam(ctx, "limit", DEFAULT_PAGE_SIZE, 1, 1000); // the older name
    }

    private static String pageAfter(RoutingContext ctx) {
        String after = ctx.queryParams().get("page_after");
        if (after != null && after.isBlank()) {
            throw ApiException.badRequest("query parameter page_after is empty; leave it out for the first page", "page_after");
        }
        return after;
    }

    private static IndexScan.Entry cursor(String after, Double score) {
        if (score == null) {
            throw ApiException.badRequest("page_after: '" + after + "' is not a cursor of this listing (use next_page_after of the page before)",
                    "page_after");
        }
        return new IndexScan.Entry(after, score);
    }

    /** Values of a repeatable, comma-separable filter; checked against {@code allowed} (case-insensitively) when given. */
    private static Set<String> filterValues(RoutingContext ctx, String name, List<String> allowed) {
        Set<String> out = new java.util.LinkedHashSet<>();
        for (String v : ctx.queryParams().getAll(name)) {
            for (String part : v.split(",")) {
                String t = part.trim();
                if (t.isEmpty()) {
                    continue;
                }
                if (allowed != null) {
                    String match = allowed.stream().filter(a -> a.equalsIgnoreCase(t)).findFirst().orElse(null);
                    if (match == null) {
                        throw ApiException.badRequest("query parameter " + name + ": '" + t + "' is not one of " + allowed, name);
                    }
                    out.add(match);
                } else {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /**
     * The owners a listing is narrowed to: an admin's {@code owner} filter as given (none: everyone);
     * below admin always the caller's own, and asking for anyone else's is a 403, not a silently
     * different answer.
     */
    private static Set<String> ownerFilter(RoutingContext ctx) {
        Set<String> asked = filterValues(ctx, "owner", null);
        Principal who = AuthHandler.principal(ctx);
        if (who.isAdmin()) {
            return asked;
        }
        for (String o : asked) {
            if (!o.equals(who.owner())) {
                throw ApiException.forbidden("query parameter owner: '" + o + "' is not your owner ('" + who.owner()
                        + "'); below admin a listing shows only your own", "owner");
            }
        }
        return Set.of(who.owner());
    }

    private static JobReader.Filter jobFilter(RoutingContext ctx) {
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

    private static Map<String, Object> paged(String name, IndexScan.Page<Map<String, Object>> page) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(name, page.items());
        out.put("next_page_after", page.nextPageAfter());
        return out;
    }

    private JobId jobId(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!JobId.isValid(id)) {
            throw ApiException.notFound("no job '" + id + "'");
        }
        return new JobId(id);
    }

    /** The job of the path, when it exists and the caller may see it; else the same 404 either way. */
    private JobId visibleJob(RoutingContext ctx) throws Exception {
        JobId id = jobId(ctx);
        JobReader.Ownership o = jobs.ownership(id);
        if (!o.exists() || !AuthHandler.principal(ctx).canSee(o.owner())) {
            throw ApiException.notFound("no job '" + id + "'");
        }
        return id;
    }

    private void getJob(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        Map<String, Object> view = jobs.get(id, !"false".equals(ctx.queryParams().get("tasks")));
        if (view == null) {
            throw ApiException.notFound("no job '" + id + "'");
        }
        json(ctx, 200, view);
    }

    /** A page of the job's tasks in execution order, optionally of some states only. */
    private void jobTasks(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        Set<String> statuses = filterValues(ctx, "status", TASK_STATUSES);
        int size = intParam(ctx, "page_size", JobReader.TASK_PAGE_DEFAULT, 1, JobReader.TASK_PAGE_MAX);
        json(ctx, 200, paged("tasks", jobs.tasksPage(id, statuses, pageAfter(ctx), size)));
    }

    /** A page of the job's consumables, small values inline. */
    private void jobConsumables(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        int size = intParam(ctx, "page_size", JobReader.CONSUMABLE_PAGE_DEFAULT, 1, JobReader.CONSUMABLE_PAGE_MAX);
        json(ctx, 200, paged("consumables", jobs.consumablesPage(id, pageAfter(ctx), size)));
    }

    private void listJobs(RoutingContext ctx) throws Exception {
        JobReader.Filter f = jobFilter(ctx);
        f = f.withOwners(ownerFilter(ctx));
        json(ctx, 200, paged("jobs", jobs.page(f, pageAfter(ctx), pageSize(ctx))));
    }

    private void startJob(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        JobControl.Started s = control.start(id);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id.value());
        out.put("status", s.status());
        out.put("started", s.started());
        json(ctx, s.started() ? 202 : 200, out);
    }

    private void cancel(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        json(ctx, 202, Map.of("id", id.value(), "status", control.cancel(id)));
    }

    private void retry(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        JobSubmitter.Submitted rerun = control.rerunJob(id, AuthHandler.principal(ctx).owner());
        // the status the new job really has: RUNNING, or PENDING at its pipeline's running-jobs limit
        json(ctx, 202, Map.of("id", rerun.id().value(), "status", rerun.status(), "retry_of", id.value()));
    }

    private void consumable(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        String node = ctx.pathParam("node");
        JobReader.Consumable c = jobs.consumable(id, node);
        if (c == null) {
            if (!jobs.exists(id)) {
                throw ApiException.notFound("no job '" + id + "'");
            }
            throw ApiException.notFound("job " + id + " has no value for data node '" + node + "' (yet)");
        }
        ctx.response().setStatusCode(200).putHeader("Content-Type", c.contentType())
                .end(io.vertx.core.buffer.Buffer.buffer(c.bytes()));
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
        Map<String, List<Map<String, Object>>> logs = new LinkedHashMap<>();
        jobs.logs(id, node, attempt).forEach((n, lines) -> {
            List<Map<String, Object>> out = new ArrayList<>(lines.size());
            for (JobReader.LogLine l : lines) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("attempt", l.attempt());
                m.put("line", l.line());
                if (l.at() != null) {
                    m.put("at", java.time.Instant.ofEpochMilli(l.at()).toString());
                }
                out.add(m);
            }
            logs.put(n, out);
        });
        json(ctx, 200, Map.of("logs", logs));
    }

    private void listWorkers(RoutingContext ctx) throws Exception {
        json(ctx, 200, Map.of("workers", workers.alive()));
    }

    private static String bodyText(RoutingContext ctx) {
        Buffer body = ctx.get(BODY);
        return body == null ? "" : body.toString(StandardCharsets.UTF_8);
    }

    /** A contract path ({@code /api/v1/jobs/{id}}) as a pattern of the request paths it serves. */
    static java.util.regex.Pattern pathPattern(String template) {
        StringBuilder regex = new StringBuilder();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{[^}/]+}").matcher(template);
        int at = 0;
        while (m.find()) {
            regex.append(java.util.regex.Pattern.quote(template.substring(at, m.start()))).append("[^/]+");
            at = m.end();
        }
        return java.util.regex.Pattern.compile(regex.append(java.util.regex.Pattern.quote(template.substring(at))).toString());
    }

    private static JsonNode jsonBody(RoutingContext ctx) {
        String text = bodyText(ctx);
        if (text.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = BODY_READER.readTree(text);
            if (node == null || !node.isObject()) {
                throw ApiException.badRequest("the body must be a JSON object", "$");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage(), "$");
        }
    }

    private static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
        String v = ctx.queryParams().get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("query parameter " + name + " must be a whole number from " + min + " to " + max, name);
        }
    }

    static void json(RoutingContext ctx, int status, Object body) {
        try {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(io.vertx.core.buffer.Buffer.buffer(JSON.writeValueAsBytes(body)));
        } catch (Exception e) {
            LOG.error("cannot write response", e);
            if (!ctx.response().ended()) {
                ctx.response().setStatusCode(500).end();
            }
        }
    }

    static void error(RoutingContext ctx, ApiException e) {
        if (e.status() >= 500) {
            LOG.error("{} {} -> {} {}", ctx.request().method(), ctx.request().path(), e.status(), e.getMessage());
        } else {
            LOG.warn("{} {} -> {} {}", ctx.request().method(), ctx.request().path(), e.status(), e.getMessage());
        }
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("code", e.code());
        err.put("message", e.getMessage());
        err.put("problems", e.problems());
        json(ctx, e.status(), Map.of("error", err));
    }
}
