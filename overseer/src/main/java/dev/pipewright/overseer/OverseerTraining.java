package dev.pipewright.overseer;

import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.config.TrainingRun;
import dev.pipewright.overseer.api.AdminRoutes;
import dev.pipewright.overseer.api.AuthHandler;
import dev.pipewright.overseer.api.HttpApi;
import dev.pipewright.overseer.api.ModuleRoutes;
import dev.pipewright.overseer.api.Routes;
import dev.pipewright.overseer.api.ScheduleRoutes;
import dev.pipewright.overseer.api.TokenRoutes;
import dev.pipewright.overseer.auth.Tokens;
import dev.pipewright.overseer.config.OverseerConfig;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.schedule.CronSchedule;
import dev.pipewright.protocol.parse.DocumentLimits;
import dev.pipewright.protocol.parse.PipelineParser;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * {@code java -jar overseer.jar --training-run} ({@link TrainingRun}): the overseer's start without
 * Redis and RabbitMQ. Both clients connect as far as a server that hangs up lets them; the HTTP API
 * is built from its contract as {@link OverseerMain#start} builds it (Vert.x, the router, the
 * authentication handler) with no stores behind it, listens on a loopback port and answers requests
 * that need no store: health, readiness, metrics and a pipeline validation (with a token).
 */
final class OverseerTraining {
    /** Parsed by the validation request: parameters, inputs, a schedule, retries, config. */
    static final String PIPELINE = """
            name: training
            parameters:
              who: {type: string, default: world}
              times: {type: integer, default: 1}
            schedule: {schedule_interval: "5 10 * * *", timezone: UTC}
            dataNodes:
              greeting: {source: "hello/greeting.txt"}
              message: {}
              result: {source: "out/training/${who}.txt"}
            processNodes:
              greet:
                input: [greeting]
                output: [message]
                processor: concat
                retries: {max: 3, backoff: exponential, initial: 1s, maxDelay: 1m, jitter: 0.2}
                config: {separator: ", "}
              publish:
                input: [message]
                output: [result]
                processor: identity
            """;

    private OverseerTraining() {
    }

    static void run() throws Exception {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String token = "pw_training_" + HexFormat.of().formatHex(secret);
        OverseerConfig config = OverseerConfig.from(new Settings(Map.of("PW_ADMIN_TOKEN", token)));
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OverseerMetrics metrics = new OverseerMetrics(meters);
        try {
            TrainingRun.connectAttempts(meters);
            PipelineParser parser = new PipelineParser(DocumentLimits.DEFAULTS, CronSchedule::problem);
            Vertx vertx = OverseerMain.vertx(meters);
            try {
                Tokens tokens = new Tokens(config.common().keys(), null, config.auth().adminDigest());
                AuthHandler auth = new AuthHandler(config.auth(), tokens, HttpApi::refuse);
                // no stores behind the routes: the training requests touch none
                java.util.List<Routes> routes = new java.util.ArrayList<>(HttpApi.routes(parser, null, null, null,
                        null, null, null, new AdminRoutes(null, null, null, null, null, null, null), new TokenRoutes(null, null),
                        new ScheduleRoutes(null, null)));
                routes.add(new ModuleRoutes(null, 1, null));
                HttpApi api = new HttpApi(routes, meters, () -> false, config.maxBodyBytes(), auth);
                Router router = api.router(vertx).await();
                HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
                int port = server.actualPort();
                TrainingRun.expect(port, "GET", "/health", null, null, null, 200);
                TrainingRun.expect(port, "GET", "/ready", null, null, null, 503);
                TrainingRun.expect(port, "GET", "/metrics", null, null, null, 200);
                TrainingRun.expect(port, "POST", "/api/v1/pipelines/validate", token, "application/yaml", PIPELINE, 200);
                server.close().await();
            } finally {
                vertx.close().await();
            }
        } finally {
            metrics.close();
        }
    }
}
