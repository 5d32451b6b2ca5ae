package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.api.view.LogEvents;
import dev.pipewright.overseer.jobs.JobLogs;
import dev.pipewright.overseer.jobs.JobProgress;
import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.protocol.keys.JobId;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code GET /api/v1/jobs/{id}/logs?follow=true}: the job's log lines as Server-Sent Events while it
 * runs. Polls Redis (the job's log stream and its task states) every {@link #POLL_MS} ms on the
 * request's virtual thread and sends {@code log} events ({@code {node, attempt, line, at}}, the stream
 * id as event id, so {@code Last-Event-ID} resumes), a {@code status} event whenever the job's or a
 * task's state changes, and {@code end} once the job has finished; stops when the client goes away.
 * A failure once the stream has begun (Redis gone) is an {@code error} event, then the end.
 */
final class LogFollower {
    static final long POLL_MS = 200;
    /**
     * How often an open stream asks whether its token was revoked. Each stream asks Redis itself
     * (one HEXISTS), so a revocation made through any overseer ends it within about this plus a
     * poll; no notice between overseers is needed, and one that is lost cannot keep a stream open.
     */
    static final long TOKEN_CHECK_MS = 500;
    private static final long HEARTBEAT_MS = 15_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private LogFollower() {
    }

    static void follow(RoutingContext ctx, JobReader jobs, JobId id, String node, Integer attempt) throws Exception {
        HttpServerResponse res = ctx.response();
        AtomicBoolean gone = new AtomicBoolean();
        res.closeHandler(v -> gone.set(true));
        res.exceptionHandler(e -> gone.set(true));
        res.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        res.write(": following job " + id + "\n\n");
        String after = ctx.request().getHeader("Last-Event-ID");
        if (after != null && !after.matches("[0-9]+-[0-9]+")) {
            after = null;
        }
        try {
            stream(res, jobs, id, node, attempt, after, gone, AuthHandler.tokenCheck(ctx));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // the answer has begun: no error status can follow; say so in the stream and end it
            org.slf4j.LoggerFactory.getLogger(LogFollower.class).warn("following the logs of job {} failed: {}", id, e.toString());
            if (!gone.get()) {
                send(res, "error", null, new LogEvents.Failed("the log stream failed: " + e.getClass().getSimpleName() + "; reconnect with Last-Event-ID"));
            }
        }
        if (!gone.get()) {
            res.end();
        }
    }

    private static void stream(HttpServerResponse res, JobReader jobs, JobId id, String node, Integer attempt, String after,
                               AtomicBoolean gone, java.util.function.BooleanSupplier tokenValid)
            throws Exception {
        String lastStatus = null;
        long lastWrite = System.currentTimeMillis();
        long lastTokenCheck = System.currentTimeMillis();
        while (!gone.get()) {
            if (System.currentTimeMillis() - lastTokenCheck >= TOKEN_CHECK_MS) {
                if (!tokenValid.getAsBoolean()) {
                    send(res, "error", null, new LogEvents.Failed("the token of this stream was revoked"));
                    break;
                }
                lastTokenCheck = System.currentTimeMillis();
            }
            JobProgress progress = jobs.progress(id);
            if (progress == null) {
                send(res, "end", null, new LogEvents.End("GONE", null));
                break;
            }
            JobLogs.LogBatch batch;
            do {
                batch = jobs.logs().after(id, after, 500, node, attempt);
                for (JobLogs.LogEntry e : batch.lines()) {
                    send(res, "log", e.id(), LogEvents.Line.of(e.node(), e.attempt(), e.line(), e.at()));
                }
                after = batch.lastId();
                while (res.writeQueueFull() && !gone.get()) {
                    Thread.sleep(POLL_MS); // a slow reader: wait for the queue to drain
                }
            } while (batch.full() && !gone.get());
            String status = JSON.writeValueAsString(progress);
            if (!status.equals(lastStatus)) {
                send(res, "status", null, progress);
                lastStatus = status;
                lastWrite = System.currentTimeMillis();
            }
            if (progress.finished()) {
                send(res, "end", null, new LogEvents.End(progress.status(), progress.progress()));
                break;
            }
            if (System.currentTimeMillis() - lastWrite > HEARTBEAT_MS) {
                res.write(": keep-alive\n\n");
                lastWrite = System.currentTimeMillis();
            }
            Thread.sleep(POLL_MS);
        }
    }

    private static void send(HttpServerResponse res, String event, String id, Object data) throws Exception {
        StringBuilder sb = new StringBuilder();
        sb.append("event: ").append(event).append('\n');
        if (id != null) {
            sb.append("id: ").append(id).append('\n');
        }
        sb.append("data: ").append(JSON.writeValueAsString(data)).append("\n\n");
        res.write(sb.toString());
    }
}
