package dev.pipewright.overseer.api;

import dev.pipewright.overseer.api.view.ErrorBody;
import dev.pipewright.overseer.api.view.Probes;
import dev.pipewright.overseer.config.InputLimits;
import dev.pipewright.infra.log.LogSafe;
import dev.pipewright.overseer.graph.Graphs;
import dev.pipewright.overseer.jobs.Idempotency;
import dev.pipewright.overseer.jobs.JobControl;
import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.overseer.jobs.JobSubmitter;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.overseer.retention.JobRemoval;
import dev.pipewright.overseer.runs.RunStore;
import dev.pipewright.protocol.parse.PipelineParser;
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

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

import static dev.pipewright.overseer.api.Requests.BODY;
import static dev.pipewright.overseer.api.Requests.json;

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



    private final List<Routes> routes;
    private final PrometheusMeterRegistry meters;
    private final BooleanSupplier ready;
    private final int maxBodyBytes;
    private final AuthHandler auth;
    private final InputLimits limits;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param routes the resources' routes; together they bind every operation of the contract
     * @param meters served at {@code /metrics} on the API port, or null when they have a port of their own
     */
    public HttpApi(List<Routes> routes, PrometheusMeterRegistry meters, BooleanSupplier ready, int maxBodyBytes, AuthHandler auth) {
        this(routes, meters, ready, maxBodyBytes, auth, InputLimits.DEFAULTS);
    }

    /** @param limits what one request may send and one answer lists ({@code PW_MAX_*}); each request carries them ({@link #limits}) */
    public HttpApi(List<Routes> routes, PrometheusMeterRegistry meters, BooleanSupplier ready, int maxBodyBytes, AuthHandler auth,
                   InputLimits limits) {
        this.limits = limits;
        this.routes = List.copyOf(routes);
        this.meters = meters;
        this.ready = ready;
        this.maxBodyBytes = maxBodyBytes;
        this.auth = auth;
    }

    /** The routes of each resource, bound in {@link #router}. */
    public static List<Routes> routes(PipelineParser parser, PipelineStore pipelines, JobSubmitter submitter, JobReader jobs,
                                      JobControl control, RunStore runs, Idempotency idempotency, AdminRoutes admin,
                                      TokenRoutes tokens, ScheduleRoutes schedules) {
        return routes(parser, pipelines, submitter, jobs, control, runs, idempotency, admin, tokens, schedules, null);
    }

    /** The routes, with {@code removal} deleting jobs ({@code DELETE /jobs/{id}}; null where nothing is served). */
    public static List<Routes> routes(PipelineParser parser, PipelineStore pipelines, JobSubmitter submitter, JobReader jobs,
                                      JobControl control, RunStore runs, Idempotency idempotency, AdminRoutes admin,
                                      TokenRoutes tokens, ScheduleRoutes schedules, JobRemoval removal) {
        PipelineRoutes pipelineRoutes = new PipelineRoutes(parser, pipelines, schedules);
        if (submitter != null) {
            pipelineRoutes.allowedSources(submitter.dataStore().allowedSources());
        }
        JobRoutes jobRoutes = new JobRoutes(pipelineRoutes, submitter, jobs, control, runs, idempotency, new Graphs(pipelines, jobs), removal);
        CacheRoutes cacheRoutes = new CacheRoutes(pipelineRoutes, pipelines, submitter);
        if (submitter != null) {
            pipelineRoutes.cache(cacheRoutes);
        }
        return List.of(pipelineRoutes, jobRoutes, new RunRoutes(runs, pipelines, jobs, jobRoutes), schedules, admin, tokens, cacheRoutes);
    }

    public interface Handler {
        void handle(RoutingContext ctx) throws Exception;
    }

    /**
     * The handler of each operation of the contract ({@link ApiContract}), by {@code operationId}:
     * the probes here, the rest from each resource's routes. The router is built from the contract:
     * an operation without a handler, or a handler without an operation, stops start-up.
     */
    Map<String, Handler> operations() {
        Map<String, Handler> ops = new LinkedHashMap<>();
        ops.put("health", ctx -> json(ctx, 200, new Probes.Health("UP", ProcessHandle.current().pid())));
        ops.put("ready", this::ready);
        ops.put("metrics", ctx -> {
            if (meters == null) {
                throw ApiException.notFound("metrics are served on their own port (PW_METRICS_PORT), not on the API port");
            }
            ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(meters.scrape());
        });
        ops.put("contract", ctx -> ctx.response().putHeader("Content-Type", "application/yaml").end(ApiContract.text()));
        for (Routes r : routes) {
            r.operations().forEach((id, handler) -> {
                if (ops.put(id, handler) != null) {
                    throw new IllegalStateException("operation '" + id + "' is bound twice");
                }
            });
        }
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
                    LOG.error("unhandled failure on {} {}", ctx.request().method(), LogSafe.text(ctx.request().path()), ctx.failure());
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
                    LOG.error("request {} {} failed", ctx.request().method(), LogSafe.text(ctx.request().path()), e);
                    error(ctx, new ApiException(500, "internal", "internal error: " + e.getClass().getSimpleName(), List.of()));
                }
            }
        });
    }

    private static final String LIMITS = "pw.limits";

    /** The input limits the request is held to (the defaults on a request that did not pass the router's first handler). */
    static InputLimits limits(RoutingContext ctx) {
        InputLimits l = ctx.get(LIMITS);
        return l == null ? InputLimits.DEFAULTS : l;
    }

    /**
     * The answer to a request Vert.x could not decode ({@code HttpServer.invalidRequestHandler}): a
     * request line over {@code PW_MAX_REQUEST_LINE} is 414, headers over {@code PW_MAX_HEADER_BYTES}
     * 431, anything else 400, each with the error JSON (Vert.x's own handler sends an empty body);
     * then the connection closes, as Vert.x's does, since the rest of the bytes cannot be framed.
     */
    public static io.vertx.core.Handler<HttpServerRequest> invalidRequest(InputLimits limits) {
        return req -> {
            Throwable cause = req.decoderResult().cause();
            ApiException e;
            if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
                e = new ApiException(414, "uri_too_long", "the request line (method, path and query) is longer than "
                        + limits.maxRequestLine() + " bytes (PW_MAX_REQUEST_LINE)", List.of());
            } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
                e = new ApiException(431, "headers_too_large", "the request headers are larger than "
                        + limits.maxHeaderBytes() + " bytes in all (PW_MAX_HEADER_BYTES)", List.of());
            } else {
                e = new ApiException(400, "bad_request", "the request is not valid HTTP: "
                        + (cause == null ? "cannot be decoded" : cause.getClass().getSimpleName()), List.of());
            }
            LOG.warn("invalid request -> {} {}", e.status(), e.getMessage());
            byte[] body;
            try {
                body = Requests.JSON.writeValueAsBytes(ErrorBody.of(e.code(), e.getMessage(), e.problems()));
            } catch (Exception ex) {
                body = new byte[0];
            }
            req.response().setStatusCode(e.status()).putHeader("Content-Type", "application/json")
                    .putHeader("Connection", "close").end(Buffer.buffer(body))
                    .onComplete(v -> req.connection().close());
        };
    }

    /** A declared body over the cap is refused with 413 before anything else, token or not. */
    private void checkLength(RoutingContext ctx) {
        ctx.put(LIMITS, limits);
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

    /**
     * What Redis answers while a Redis Cluster fails over or moves slots ({@code CLUSTERDOWN}, {@code TRYAGAIN}),
     * while a node loads its data ({@code LOADING}), or when a command reaches a master just demoted to a
     * replica ({@code READONLY}, {@code MASTERDOWN}): transient, as a lost connection is.
     */
    private static final java.util.List<String> TRANSIENT_REDIS_ERRORS = java.util.List.of("CLUSTERDOWN", "TRYAGAIN", "LOADING",
            "READONLY", "MASTERDOWN");

    /** Redis down, too slow or failing over: a 503 the client may retry, not a 500. */
    static boolean storeUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String type = t.getClass().getName();
            // a connection to the store reset or closed under a command (a killed Redis master) is the same
            if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.ConnectException
                    || t instanceof java.net.SocketException || t instanceof java.nio.channels.ClosedChannelException
                    || type.startsWith("io.lettuce.core.RedisConnection")
                    || type.equals("io.lettuce.core.RedisException")
                    || type.equals("io.lettuce.core.RedisCommandTimeoutException")
                    // a cluster client whose topology has no master for a slot (a dead master not replaced yet)
                    || type.equals("io.lettuce.core.cluster.PartitionSelectorException")) {
                return true;
            }
            if (type.equals("io.lettuce.core.RedisCommandExecutionException") && t.getMessage() != null
                    && TRANSIENT_REDIS_ERRORS.stream().anyMatch(t.getMessage()::startsWith)) {
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
        json(ctx, ok ? 200 : 503, new Probes.Ready(ok ? "READY" : "NOT_READY"));
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

    static void error(RoutingContext ctx, ApiException e) {
        if (e.status() >= 500) {
            LOG.error("{} {} -> {} {}", ctx.request().method(), LogSafe.text(ctx.request().path()), e.status(), LogSafe.text(e.getMessage()));
        } else {
            LOG.warn("{} {} -> {} {}", ctx.request().method(), LogSafe.text(ctx.request().path()), e.status(), LogSafe.text(e.getMessage()));
        }
        json(ctx, e.status(), ErrorBody.of(e.code(), e.getMessage(), e.problems(), limits(ctx).maxProblems()));
    }
}
