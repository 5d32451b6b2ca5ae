package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.admin.AdminApi;
import dev.pipewright.overseer.limits.Limits;
import dev.pipewright.overseer.auth.AuthHandler;
import dev.pipewright.overseer.auth.Principal;
import dev.pipewright.overseer.auth.TokenApi;
import dev.pipewright.overseer.jobs.JobControl;
import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.overseer.jobs.JobSubmitter;
import dev.pipewright.overseer.jobs.SubmitRequest;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.workers.WorkerDirectory;
import dev.pipewright.overseer.graph.Graphs;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.render.GraphFormat;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.render.GraphRenderer;
import dev.pipewright.render.GraphTooLargeException;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Problem;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
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
    private static final Set<String> SUBMIT_FIELDS = Set.of("parameters", "inputs", "outputs", "version", "start", "priority");

    private final PipelineParser parser;
    private final PipelineStore pipelines;
    private final JobSubmitter submitter;
    private final JobReader jobs;
    private final JobControl control;
    private final WorkerDirectory workers;
    private final AdminApi admin;
    private final Limits limits;
    private final Graphs graphs;
    private final PrometheusMeterRegistry meters;
    private final OverseerMetrics metrics;
    private final BooleanSupplier ready;
    private final int maxBodyBytes;
    private final AuthHandler auth;
    private final TokenApi tokens;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();

    public HttpApi(PipelineParser parser, PipelineStore pipelines, JobSubmitter submitter, JobReader jobs, JobControl control,
                   WorkerDirectory workers, AdminApi admin, Limits limits,
                   PrometheusMeterRegistry meters, OverseerMetrics metrics, BooleanSupplier ready, int maxBodyBytes,
                   AuthHandler auth, TokenApi tokens) {
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
        this.metrics = metrics;
        this.ready = ready;
        this.maxBodyBytes = maxBodyBytes;
        this.auth = auth;
        this.tokens = tokens;
    }

    private interface Handler {
        void handle(RoutingContext ctx) throws Exception;
    }

    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        router.route().handler(this::checkLength);
        router.route().handler(auth);
        router.route().handler(this::readBody);
        router.get("/health").handler(ctx -> json(ctx, 200, Map.of("status", "UP", "pid", ProcessHandle.current().pid())));
        router.get("/ready").handler(on(this::ready));
        router.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .end(meters.scrape()));
        router.post("/api/v1/pipelines/validate").handler(on(this::validate));
        router.post("/api/v1/pipelines").handler(on(this::createPipeline));
        router.get("/api/v1/pipelines").handler(on(this::listPipelines));
        router.get("/api/v1/pipelines/:id").handler(on(this::getPipeline));
        router.get("/api/v1/pipelines/:id/plan").handler(on(this::plan));
        router.get("/api/v1/pipelines/:id/graph").handler(on(this::pipelineGraph));
        router.post("/api/v1/pipelines/:id/jobs").handler(on(this::submit));
        router.get("/api/v1/jobs").handler(on(this::listJobs));
        router.get("/api/v1/jobs/:id").handler(on(this::getJob));
        router.get("/api/v1/jobs/:id/consumables/:node").handler(on(this::consumable));
        router.post("/api/v1/jobs/:id/cancel").handler(on(this::cancel));
        router.post("/api/v1/jobs/:id/retry").handler(on(this::retry));
        router.get("/api/v1/jobs/:id/logs").handler(on(this::logs));
        router.get("/api/v1/jobs/:id/graph").handler(on(this::jobGraph));
        router.get("/api/v1/workers").handler(on(this::listWorkers));
        // operator endpoints (admin, AccessPolicy)
        router.get("/api/v1/admin/queues").handler(on(ctx -> json(ctx, 200, admin.queues(ctx))));
        router.get("/api/v1/admin/workers").handler(on(ctx -> json(ctx, 200, admin.workers(ctx))));
        router.get("/api/v1/admin/pools").handler(on(ctx -> json(ctx, 200, admin.pools(ctx))));
        router.post("/api/v1/admin/pools/:pool/pause").handler(on(ctx -> json(ctx, 200, admin.pause(ctx))));
        router.post("/api/v1/admin/pools/:pool/resume").handler(on(ctx -> json(ctx, 200, admin.resume(ctx))));
        router.post("/api/v1/admin/pools/:pool/drain").handler(on(ctx -> json(ctx, 200, admin.drain(ctx))));
        router.get("/api/v1/admin/dlq").handler(on(ctx -> json(ctx, 200, admin.deadLetters(ctx))));
        router.post("/api/v1/admin/dlq/replay").handler(on(ctx -> json(ctx, 200, admin.replay(jsonBody(ctx)))));
        router.post("/api/v1/admin/dlq/purge").handler(on(ctx -> json(ctx, 200, admin.purge(jsonBody(ctx)))));
        router.get("/api/v1/admin/dlq/:id").handler(on(ctx -> json(ctx, 200, admin.deadLetter(ctx))));
        router.get("/api/v1/admin/limits").handler(on(ctx -> json(ctx, 200, Map.of("limits", limits.list()))));
        router.put("/api/v1/admin/limits/:kind/:name").handler(on(ctx -> json(ctx, 200,
                limits.set(ctx.pathParam("kind"), ctx.pathParam("name"), jsonBody(ctx)))));
        router.delete("/api/v1/admin/limits/:kind/:name").handler(on(ctx -> json(ctx, 200,
                limits.remove(ctx.pathParam("kind"), ctx.pathParam("name")))));
        // token management (admin, AccessPolicy)
        router.post("/api/v1/tokens").handler(on(ctx -> json(ctx, 201, tokens.create(jsonBody(ctx), Principal.of(ctx)))));
        router.get("/api/v1/tokens").handler(on(ctx -> json(ctx, 200, tokens.list())));
        router.delete("/api/v1/tokens/:id").handler(on(ctx -> json(ctx, 200, tokens.revoke(ctx.pathParam("id")))));
        router.route().last().handler(ctx -> error(ctx, new ApiException(404, "not_found",
                "no such endpoint: " + ctx.request().method() + " " + ctx.request().path(), List.of())));
        router.route().failureHandler(ctx -> {
            int status = ctx.statusCode();
            if (status == 413) {
                error(ctx, new ApiException(413, "body_too_large", "the request body is larger than " + maxBodyBytes + " bytes", List.of()));
            } else if (status >= 400 && status < 500) {
                error(ctx, new ApiException(status, "bad_request", "the request was refused (HTTP " + status + ")", List.of()));
            } else {
                LOG.error("unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
                error(ctx, new ApiException(500, "internal", "internal error", List.of()));
            }
        });
        return router;
    }

    private io.vertx.core.Handler<RoutingContext> on(Handler handler) {
        return ctx -> handlers.execute(() -> {
            try {
                handler.handle(ctx);
            } catch (ApiException e) {
                error(ctx, e);
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

    private static final String BODY = "pw.body";

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
        StoredPipeline stored = pipelines.save(id, r, source, Principal.of(ctx).owner());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", stored.id());
        out.put("version", stored.version());
        out.put("name", name != null ? name : r.pipeline().name() != null ? r.pipeline().name() : id);
        json(ctx, 201, out);
    }

    private void listPipelines(RoutingContext ctx) throws Exception {
        int limit = intParam(ctx, "limit", 100, 1, 1000);
        List<Map<String, Object>> out = new ArrayList<>();
        for (PipelineStore.Summary s : pipelines.list(limit)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            m.put("latest_version", s.latestVersion());
            m.put("created_at", java.time.Instant.ofEpochMilli(s.createdAt()).toString());
            m.put("updated_at", java.time.Instant.ofEpochMilli(s.updatedAt()).toString());
            out.add(m);
        }
        json(ctx, 200, Map.of("pipelines", out));
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
        out.put("data_nodes", p.pipeline().dataNodes().keySet());
        out.put("process_nodes", p.pipeline().processNodes().keySet());
        out.put("parameters", p.pipeline().parameters().keySet());
        out.put("source", p.source());
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
        JobId id = jobId(ctx);
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

    private void submit(RoutingContext ctx) throws Exception {
        JsonNode body = jsonBody(ctx);
        List<Problem> problems = new ArrayList<>();
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!SUBMIT_FIELDS.contains(f)) {
                problems.add(new Problem(f, "unknown field; expected one of " + SUBMIT_FIELDS.stream().sorted().toList()));
            }
        }
        Map<String, Object> params = new LinkedHashMap<>();
        JsonNode p = body.get("parameters");
        if (p != null && !p.isNull()) {
            if (!p.isObject()) {
                problems.add(new Problem("parameters", "expected an object of parameter values"));
            } else {
                p.fields().forEachRemaining(e -> params.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
            }
        }
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        JsonNode in = body.get("inputs");
        if (in != null && !in.isNull()) {
            if (!in.isObject()) {
                problems.add(new Problem("inputs", "expected an object of data node values"));
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
                            problems.add(new Problem("inputs." + e.getKey() + ".base64", "not valid base64"));
                        }
                    } else if (v.isNull()) {
                        problems.add(new Problem("inputs." + e.getKey(), "expected text, {\"base64\": ...} or a JSON value, got null"));
                    } else {
                        inputs.put(e.getKey(), JSON.writeValueAsBytes(v));
                    }
                }
            }
        }
        List<String> outputs = new ArrayList<>();
        JsonNode o = body.get("outputs");
        if (o != null && !o.isNull()) {
            if (!o.isArray()) {
                problems.add(new Problem("outputs", "expected a list of data node names"));
            } else {
                for (int i = 0; i < o.size(); i++) {
                    if (!o.get(i).isTextual()) {
                        problems.add(new Problem("outputs[" + i + "]", "expected a data node name"));
                    } else {
                        outputs.add(o.get(i).asText());
                    }
                }
            }
        }
        Integer version = null;
        JsonNode v = body.get("version");
        if (v != null && !v.isNull()) {
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
                problems.add(new Problem("version", "expected a version number (1 or more)"));
            } else {
                version = v.asInt();
            }
        }
        boolean start = true;
        JsonNode s = body.get("start");
        if (s != null && !s.isNull()) {
            if (!s.isBoolean()) {
                problems.add(new Problem("start", "expected true or false"));
            } else {
                start = s.asBoolean();
            }
        }
        Priority priority = Priority.MEDIUM;
        JsonNode pr = body.get("priority");
        if (pr != null && !pr.isNull()) {
            try {
                priority = Priority.parse(pr.isTextual() ? pr.asText() : pr.toString());
            } catch (IllegalArgumentException e) {
                problems.add(new Problem("priority", e.getMessage()));
            }
        }
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request", "the job request has " + problems.size() + " problem(s)", problems);
        }
        StoredPipeline stored = pipeline(ctx, version);
        JobSubmitter.Submitted job = submitter.submitJob(stored, new SubmitRequest(params, inputs, outputs, start).withPriority(priority),
                JobId.random(), Principal.of(ctx).owner());
        metrics.jobSubmitted();
        json(ctx, 202, Map.of("id", job.id().value(), "status", job.status()));
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
        if (!o.exists() || !Principal.of(ctx).canSee(o.owner())) {
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

    private void listJobs(RoutingContext ctx) throws Exception {
        Principal who = Principal.of(ctx);
        json(ctx, 200, Map.of("jobs", jobs.list(intParam(ctx, "limit", 50, 1, 1000), who.isAdmin() ? null : who.owner())));
    }

    private void cancel(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        json(ctx, 202, Map.of("id", id.value(), "status", control.cancel(id)));
    }

    private void retry(RoutingContext ctx) throws Exception {
        JobId id = visibleJob(ctx);
        JobId rerun = control.rerun(id, Principal.of(ctx).owner());
        metrics.jobSubmitted();
        json(ctx, 202, Map.of("id", rerun.value(), "status", "RUNNING", "retry_of", id.value()));
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
        json(ctx, 200, Map.of("logs", jobs.logs(id, ctx.queryParams().get("node"))));
    }

    private void listWorkers(RoutingContext ctx) throws Exception {
        json(ctx, 200, Map.of("workers", workers.alive()));
    }

    private static String bodyText(RoutingContext ctx) {
        Buffer body = ctx.get(BODY);
        return body == null ? "" : body.toString(StandardCharsets.UTF_8);
    }

    private static JsonNode jsonBody(RoutingContext ctx) {
        String text = bodyText(ctx);
        if (text.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(text);
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
