package dev.pipewright.overseer.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;

/**
 * The overseer's own metrics port ({@code PW_METRICS_PORT} > 0, bound to {@code PW_METRICS_HOST}):
 * {@code GET /metrics} in the Prometheus text format, without a token (keep the port on a private
 * interface); anything else is 404. The API port then answers {@code /metrics} with 404, so the
 * metrics are not public there as well.
 */
public final class MetricsServer {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private MetricsServer() {
    }

    /** Starts listening; fails with a message naming the settings when the address cannot be bound. */
    public static HttpServer start(Vertx vertx, String host, int port, PrometheusMeterRegistry meters) {
        try {
            return vertx.createHttpServer().requestHandler(req -> {
                if (req.method() == HttpMethod.GET && "/metrics".equals(req.path())) {
                    // scraping reads meters only; off the event loop all the same (a large registry takes a while)
                    vertx.executeBlocking(meters::scrape, false).onComplete(r -> {
                        if (r.succeeded()) {
                            req.response().putHeader("Content-Type", CONTENT_TYPE).end(r.result());
                        } else {
                            req.response().setStatusCode(500).end("scrape failed\n");
                        }
                    });
                } else {
                    req.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8")
                            .end("not found: this port serves GET /metrics only\n");
                }
            }).listen(port, host).await();
        } catch (Exception e) {
            throw new IllegalStateException("cannot serve /metrics on " + host + ":" + port + " (PW_METRICS_HOST, PW_METRICS_PORT): "
                    + e.getMessage(), e);
        }
    }
}
