package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Consumer;

/** Waiting for jobs and reading their views. */
final class Jobs {
    private Jobs() {
    }

    static String path(String jobId) {
        return "/api/v1/jobs/" + ApiClient.encode(jobId);
    }

    static boolean finished(JsonNode job) {
        if (job.path("finished").asBoolean(false)) {
            return true;
        }
        String s = job.path("status").asText("");
        return s.equals("SUCCESS") || s.equals("FAILED") || s.equals("CANCELLED");
    }

    static String progressLine(JsonNode job) {
        return job.path("status").asText("?") + " " + job.path("progress").asText("?");
    }

    /**
     * Polls {@code GET /api/v1/jobs/{id}?tasks=false} until the job has finished, starting at
     * {@code firstDelayMs} and multiplying the pause by 1.5 up to {@code maxDelayMs}; reports
     * {@code job <id>: STATUS done/total} to {@code progress} whenever it changes. A null limit
     * waits for ever; past the limit it fails (exit 1).
     */
    static JsonNode await(ApiClient client, String jobId, Duration limit, long firstDelayMs, long maxDelayMs,
                          Consumer<String> progress) {
        long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
        double delay = firstDelayMs;
        String last = null;
        String path = path(jobId) + "?tasks=false";
        while (true) {
            JsonNode job = client.getJson(path, "job " + jobId);
            String line = progressLine(job);
            if (progress != null && !line.equals(last)) {
                progress.accept("job " + jobId + ": " + line);
            }
            last = line;
            if (finished(job)) {
                return job;
            }
            if (System.nanoTime() >= deadline) {
                throw CliException.failure("timed out after " + dev.pipewright.protocol.pipeline.Durations.format(limit)
                        + " waiting for job " + jobId + " (" + line + ")");
            }
            try {
                Thread.sleep(Math.max(1, (long) delay));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.failure("interrupted while waiting for job " + jobId);
            }
            delay = Math.min(maxDelayMs, delay * 1.5);
        }
    }

    /**
     * What {@code --wait} does: waits for the job, its progress on {@code err}, then prints the
     * ended job's view ({@code json}) or {@code <job> <STATUS>}; exit 0 only when it succeeded.
     */
    static int awaitAndPrint(ApiClient client, String jobId, Duration limit, boolean json, PrintWriter out, PrintWriter err) {
        JsonNode done = await(client, jobId, limit, 50, 1000, line -> {
            err.println(line);
            err.flush();
        });
        Output.showPrinted(out, json, done, d -> out.println(jobId + " " + d.path("status").asText()));
        return "SUCCESS".equals(done.path("status").asText()) ? 0 : CliException.FAILURE;
    }

    /** A duration option such as 500ms, 30s, 10m, 1h; bad text is a usage error. */
    static Duration duration(String option, String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        Duration d = dev.pipewright.protocol.pipeline.Durations.parse(text);
        if (d == null || d.isZero()) {
            throw CliException.usage(option + " '" + text + "': expected a duration such as 500ms, 30s, 10m or 1h");
        }
        return d;
    }

    static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? null : n.asText();
    }
}
