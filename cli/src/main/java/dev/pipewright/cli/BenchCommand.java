package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Pipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code pipewright bench}: registers the W1..W5 workloads and runs them against a live system:
 * one job of W1..W4, 2,000 small jobs from 32 clients for W5. It watches the way a client should:
 * polls the job summary (every {@code --poll}, 50 ms), takes wall time from the jobs' own times,
 * checks the tasks from pages of {@code /tasks} and the outputs from pages of {@code /consumables},
 * and reports the CPU time per task and the memory of the overseer and workers running on this host.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark a running system with these workloads of no-op tasks (docs/performance.md):",
                "W1 10,000 independent tasks, W2 a chain of 1,000, W3 1 -> 2,000 -> 1,",
                "W4 20 layers x 100 tasks each reading 2 tasks of the layer before (seeded),",
                "W5 2,000 jobs of a chain of 3, submitted by 32 clients at once;",
                "W1x10 (only when named) one job of 100,000 independent tasks (start the overseer with PW_MAX_JOB_TASKS=100000).",
                "Every result is checked: jobs and tasks SUCCESS, one attempt each, no task started before a parent ended,",
                "and every terminal data node has a value. Wall time comes from the jobs' own times (Redis's clock);",
                "CPU per task and RSS are read from /proc for an overseer and workers on this host.",
                "Run it with an admin token: read and submit tokens are rate limited."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:all shapes correct", "1:a shape was incorrect or refused", "2:usage error or server unreachable"})
public final class BenchCommand extends ServerCommand {
    /** How often a job summary is polled by default; wall time does not depend on it. */
    static final String DEFAULT_POLL = "50ms";

    @Option(names = "--shape", required = true, paramLabel = "W1|W2|W3|W4|W5|W1x10|all", split = ",",
            description = "The workload(s) to run.")
    List<String> shapes;

    @Option(names = "--json", description = {"Print one JSON object per shape and line: {shape, tasks, wall_s, tasks_per_s,",
            "hop_ms_p50, hop_ms_p99 (W2), overseer_cpu_ms_per_task, worker_cpu_ms_per_task, overseer_rss_mib,",
            "worker_rss_mib (the local workers' summed; these four null when not on this host), local_workers, check_s,",
            "correct}; W5 adds jobs, jobs_per_s, submit_ms_p50, submit_ms_p99."})
    boolean json;

    @Option(names = "--overseers", split = ",", paramLabel = "URL",
            description = "The installation's other overseers (base URLs, comma separated): each overseer's events applied "
                    + "and, on this host, its CPU per task are reported, showing how the load splits.")
    List<String> otherOverseers;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of W4's random wiring (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--pool", defaultValue = "default", description = "Worker pool of the tasks (default: ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--poll", defaultValue = DEFAULT_POLL, paramLabel = "DURATION",
            description = {"How often a job's summary is polled while it runs (default: ${DEFAULT-VALUE}). Wall time comes from",
                    "the jobs' own times whatever it is, but every poll is work for the overseer while it runs the shape."})
    String poll;
    private long pollMs = 50;

    @Option(names = "--timeout", defaultValue = "10m", paramLabel = "DURATION",
            description = "Longest wait for one shape's jobs (default: ${DEFAULT-VALUE}).")
    String timeout;

    /** What W5 adds: how many jobs, their rate, and the submit requests' latency. */
    record ManyJobs(int jobs, double jobsPerS, double submitMsP50, double submitMsP99) {
    }

    /**
     * CPU milliseconds per task and RSS (MiB) of the overseer and the workers, each null when not
     * measured on this host; the workers' figures are over every local worker (RSS summed).
     */
    record Usage(Double overseerCpuMsPerTask, Double workerCpuMsPerTask, Double overseerRssMib, Double workerRssMib, int localWorkers,
                 List<OverseerLoads.Load> overseers) {
        static final Usage NONE = new Usage(null, null, null, null, 0, List.of());
    }

    /** One shape's figures. Hop fields are null except for W2, {@code many} except for W5. */
    record Result(String shape, int tasks, double wallS, double tasksPerS, Double hopP50, Double hopP99,
                  boolean correct, String reason, ManyJobs many, Usage usage, Double checkS) {
        Result(String shape, int tasks, double wallS, double tasksPerS, Double hopP50, Double hopP99, boolean correct, String reason) {
            this(shape, tasks, wallS, tasksPerS, hopP50, hopP99, correct, reason, null, Usage.NONE, null);
        }

        Result with(Usage u, Double check) {
            return new Result(shape, tasks, wallS, tasksPerS, hopP50, hopP99, correct, reason, many, u, check);
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("shape", shape);
            m.put("tasks", tasks);
            m.put("wall_s", round(wallS, 3));
            m.put("tasks_per_s", round(tasksPerS, 1));
            if (many != null) {
                m.put("jobs", many.jobs());
                m.put("jobs_per_s", round(many.jobsPerS(), 1));
                m.put("submit_ms_p50", round(many.submitMsP50(), 3));
                m.put("submit_ms_p99", round(many.submitMsP99(), 3));
            }
            m.put("hop_ms_p50", hopP50 == null ? null : round(hopP50, 3));
            m.put("hop_ms_p99", hopP99 == null ? null : round(hopP99, 3));
            m.put("overseer_cpu_ms_per_task", rounded(usage.overseerCpuMsPerTask(), 4));
            m.put("worker_cpu_ms_per_task", rounded(usage.workerCpuMsPerTask(), 4));
            m.put("overseer_rss_mib", rounded(usage.overseerRssMib(), 1));
            m.put("worker_rss_mib", rounded(usage.workerRssMib(), 1));
            m.put("local_workers", usage.localWorkers());
            if (!usage.overseers().isEmpty()) {
                m.put("overseers", usage.overseers().stream().map(OverseerLoads.Load::json).toList());
            }
            m.put("check_s", rounded(checkS, 3));
            m.put("correct", correct);
            return m;
        }

        String human() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-3s tasks %6d  wall %8.3f s  %9.1f tasks/s",
                    shape, tasks, wallS, tasksPerS));
            if (many != null) {
                sb.append(String.format(Locale.ROOT, "  jobs %d  %.1f jobs/s  submit p50 %.3f ms p99 %.3f ms",
                        many.jobs(), many.jobsPerS(), many.submitMsP50(), many.submitMsP99()));
            }
            if (hopP50 != null) {
                sb.append(String.format(Locale.ROOT, "  hop p50 %.3f ms p99 %.3f ms", hopP50, hopP99));
            }
            if (usage.overseerCpuMsPerTask() != null) {
                sb.append(String.format(Locale.ROOT, "  overseer %.3f ms CPU/task", usage.overseerCpuMsPerTask()));
                if (usage.overseerRssMib() != null) {
                    sb.append(String.format(Locale.ROOT, " RSS %.0f MiB", usage.overseerRssMib()));
                }
            }
            if (usage.workerCpuMsPerTask() != null) {
                sb.append(String.format(Locale.ROOT, "  workers(%d) %.3f ms CPU/task", usage.localWorkers(), usage.workerCpuMsPerTask()));
                if (usage.workerRssMib() != null) {
                    sb.append(String.format(Locale.ROOT, " RSS %.0f MiB", usage.workerRssMib()));
                }
            }
            sb.append("  correct: ").append(correct ? "yes" : "no (" + reason + ")");
            for (OverseerLoads.Load l : usage.overseers()) {
                sb.append(String.format(Locale.ROOT, "%n    %s: %s", l.url(),
                        l.events() == null ? "events unknown (its /metrics did not answer)" : l.events() + " events applied"));
                if (l.cpuMsPerTask() != null) {
                    sb.append(String.format(Locale.ROOT, ", %.3f ms CPU/task", l.cpuMsPerTask()));
                }
            }
            return sb.toString();
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = out();
        PrintWriter err = err();
        Duration limit = Jobs.duration("--timeout", timeout);
        pollMs = Math.max(1, Jobs.duration("--poll", poll).toMillis());
        List<String> selected = new ArrayList<>();
        for (String s : shapes) {
            if (s.trim().equalsIgnoreCase("all")) {
                BenchShapes.ALL.forEach(x -> {
                    if (!selected.contains(x)) selected.add(x);
                });
                continue;
            }
            String n = BenchShapes.normalize(s);
            if (n == null) {
                throw CliException.usage("--shape '" + s + "': expected W1, W2, W3, W4, W5, W1x10 or all");
            }
            if (!selected.contains(n)) {
                selected.add(n);
            }
        }
        ApiClient client = client();
        LocalProcesses local = LocalProcesses.find(client, OverseerLoads.find(client, otherOverseers, server.token()));
        boolean allCorrect = true;
        for (String shape : selected) {
            Result r = runShape(client, shape, limit, err, local);
            allCorrect &= r.correct();
            if (json) {
                out.println(ApiClient.JSON.writeValueAsString(r.json()));
                if (!r.correct()) {
                    err.println(shape + ": incorrect: " + r.reason());
                }
            } else {
                out.println(r.human());
            }
            out.flush();
            err.flush();
        }
        if (!json) {
            for (String line : rssLines(client)) {
                out.println(line);
            }
            out.flush();
        }
        return allCorrect ? 0 : CliException.FAILURE;
    }

    private void progress(PrintWriter err, String line) {
        if (!json) {
            err.println(line);
            err.flush();
        }
    }

    private Result runShape(ApiClient client, String shape, Duration limit, PrintWriter err, LocalProcesses local) throws Exception {
        BenchShapes.Generated gen = BenchShapes.generate(shape, seed, pool);
        byte[] doc = ApiClient.JSON.writeValueAsBytes(gen.document());
        PipelineParser.Result parsed = new PipelineParser().parse(new String(doc, StandardCharsets.UTF_8));
        if (!parsed.valid()) {
            throw CliException.failure(shape + ": generated pipeline is invalid: " + parsed.problems().get(0));
        }
        Pipeline pipeline = parsed.pipeline();
        progress(err, shape + ": registering " + gen.pipelineName() + " (" + gen.tasks() + " tasks"
                + (gen.jobs() > 1 ? " a job, " + gen.jobs() + " jobs" : "") + ", " + doc.length / 1024 + " KiB)");
        ApiClient.Response reg = client.post("/api/v1/pipelines?name=" + ApiClient.encode(gen.pipelineName()), "application/json", doc);
        if (!reg.ok()) {
            throw refused(shape + ": registering " + gen.pipelineName(), reg);
        }
        String pipelineId = reg.json().path("id").asText(gen.pipelineName());
        LocalProcesses.Sample before = local.sample();
        Result r = gen.jobs() == 1
                ? oneJob(client, gen, pipeline, pipelineId, limit, err, local, before)
                : manyJobs(client, gen, pipelineId, limit, err, local, before);
        return r;
    }

    private static Map<String, Object> jobRequest() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("parameters", Map.of());
        body.put("inputs", Map.of());
        body.put("outputs", List.of());
        return body;
    }

    /** W1..W4: one job, watched through its summary, then checked from its task and consumable pages. */
    private Result oneJob(ApiClient client, BenchShapes.Generated gen, Pipeline pipeline, String pipelineId, Duration limit,
                          PrintWriter err, LocalProcesses local, LocalProcesses.Sample before) throws InterruptedException {
        String shape = gen.shape();
        long t0 = System.nanoTime();
        ApiClient.Response sub = client.postJson("/api/v1/pipelines/" + ApiClient.encode(pipelineId) + "/jobs", jobRequest());
        if (!sub.ok()) {
            throw refused(shape + ": submitting a job", sub);
        }
        String jobId = sub.json().path("id").asText();
        JsonNode last = awaitSummary(client, jobId, t0 + limit.toNanos());
        Usage usage = local.usage(before, gen.totalTasks());
        double clientWallS = (System.nanoTime() - t0) / 1e9;
        if (!Jobs.finished(last)) {
            int done = last.path("counts").path("succeeded").asInt(0) + last.path("counts").path("failed").asInt(0)
                    + last.path("counts").path("skipped").asInt(0);
            return new Result(shape, gen.tasks(), clientWallS, done / clientWallS, null, null, false,
                    "timed out after " + dev.pipewright.protocol.pipeline.Durations.format(limit) + " (job " + jobId + " "
                            + Jobs.progressLine(last) + ")").with(usage, null);
        }
        double wallS = BenchCheck.wallSeconds(List.of(last));
        List<String> issues = new ArrayList<>();
        if (Double.isNaN(wallS)) {
            issues.add("job without started_us/finished_us: wall time measured by this client");
            wallS = clientWallS;
        }
        progress(err, shape + ": job " + jobId + " " + Jobs.progressLine(last) + " in "
                + String.format(Locale.ROOT, "%.3f", wallS) + " s; checking");
        long c0 = System.nanoTime();
        List<JsonNode> tasks = JobPages.tasks(client, jobId, List.of(), Integer.MAX_VALUE).rows();
        issues.addAll(BenchCheck.verify(last, tasks, pipeline));
        Set<String> present = new HashSet<>();
        JobPages.consumables(client, jobId, e -> present.add(e.path("node").asText()));
        String missing = BenchCheck.missingConsumables(present, BenchCheck.terminalDataNodes(pipeline));
        if (missing != null) {
            issues.add(missing);
        }
        Double p50 = null;
        Double p99 = null;
        if (!gen.chain().isEmpty()) {
            long[] ended = BenchCheck.endedUs(tasks, gen.chain());
            if (ended == null) {
                issues.add("chain tasks without ended_us: no hop latency");
            } else {
                double[] hops = Percentiles.hopsMs(ended);
                p50 = Percentiles.percentile(hops, 50);
                p99 = Percentiles.percentile(hops, 99);
            }
        }
        double checkS = (System.nanoTime() - c0) / 1e9;
        progress(err, shape + ": checked " + tasks.size() + " tasks and " + present.size() + " consumables in "
                + String.format(Locale.ROOT, "%.3f", checkS) + " s");
        return new Result(shape, gen.tasks(), wallS, gen.tasks() / wallS, p50, p99, issues.isEmpty(), String.join("; ", issues),
                null, usage, checkS);
    }

    /** Polls the job's summary every {@code --poll} until it has finished or the deadline passed; the last summary. */
    private JsonNode awaitSummary(ApiClient client, String jobId, long deadlineNanos) throws InterruptedException {
        String path = Jobs.path(jobId) + "?tasks=false";
        while (true) {
            JsonNode last = client.getJson(path, "job " + jobId);
            if (Jobs.finished(last) || System.nanoTime() > deadlineNanos) {
                return last;
            }
            Thread.sleep(pollMs);
        }
    }

    /**
     * W5: many small jobs submitted by {@code gen.clients()} clients at once, then awaited in the
     * order they were submitted (one summary poll at a time, so watching adds one request in flight),
     * and each checked from its summary.
     */
    private Result manyJobs(ApiClient client, BenchShapes.Generated gen, String pipelineId, Duration limit, PrintWriter err,
                            LocalProcesses local, LocalProcesses.Sample before) throws Exception {
        String shape = gen.shape();
        int n = gen.jobs();
        progress(err, shape + ": submitting " + n + " jobs from " + gen.clients() + " clients");
        long t0 = System.nanoTime();
        long deadline = t0 + limit.toNanos();
        String path = "/api/v1/pipelines/" + ApiClient.encode(pipelineId) + "/jobs";
        Map<String, Object> body = jobRequest();
        String[] ids = new String[n];
        double[] submitMs = new double[n];
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(gen.clients());
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < gen.clients(); c++) {
                running.add(clients.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        long s = System.nanoTime();
                        ApiClient.Response sub = client.postJson(path, body);
                        submitMs[i] = (System.nanoTime() - s) / 1e6;
                        if (!sub.ok()) {
                            throw refused(shape + ": submitting job " + (i + 1) + " of " + n, sub);
                        }
                        ids[i] = sub.json().path("id").asText();
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof CliException c) {
                        throw c;
                    }
                    throw CliException.failure(shape + ": a submitting client failed: " + e.getCause());
                }
            }
        } finally {
            clients.shutdownNow();
        }
        progress(err, shape + ": " + n + " jobs submitted in " + String.format(Locale.ROOT, "%.3f", (System.nanoTime() - t0) / 1e9)
                + " s; waiting for them");
        List<JsonNode> summaries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            JsonNode last = awaitSummary(client, ids[i], deadline);
            if (!Jobs.finished(last)) {
                Usage usage = local.usage(before, gen.totalTasks());
                double clientWallS = (System.nanoTime() - t0) / 1e9;
                return new Result(shape, gen.totalTasks(), clientWallS, i * gen.tasks() / clientWallS, null, null, false,
                        "timed out after " + dev.pipewright.protocol.pipeline.Durations.format(limit) + " with " + i + " of " + n
                                + " jobs ended (job " + ids[i] + " " + Jobs.progressLine(last) + ")",
                        new ManyJobs(n, i / clientWallS, Percentiles.percentile(submitMs, 50), Percentiles.percentile(submitMs, 99)),
                        usage, null);
            }
            summaries.add(last);
        }
        Usage usage = local.usage(before, gen.totalTasks());
        long c0 = System.nanoTime();
        List<String> issues = new ArrayList<>(BenchCheck.verifyJobs(summaries, gen.tasks()));
        double wallS = BenchCheck.wallSeconds(summaries);
        if (Double.isNaN(wallS)) {
            wallS = (System.nanoTime() - t0) / 1e9;
        }
        double checkS = (System.nanoTime() - c0) / 1e9;
        progress(err, shape + ": " + n + " jobs ended in " + String.format(Locale.ROOT, "%.3f", wallS) + " s (first created to last finished)");
        ManyJobs many = new ManyJobs(n, n / wallS, Percentiles.percentile(submitMs, 50), Percentiles.percentile(submitMs, 99));
        return new Result(shape, gen.totalTasks(), wallS, gen.totalTasks() / wallS, null, null, issues.isEmpty(),
                String.join("; ", issues), many, usage, checkS);
    }

    private static CliException refused(String what, ApiClient.Response r) {
        List<String> problems = r.problems();
        StringBuilder sb = new StringBuilder(what + ": " + r.errorMessage() + " (HTTP " + r.status() + ")");
        int shown = Math.min(problems.size(), 10);
        for (String p : problems.subList(0, shown)) {
            sb.append('\n').append(p);
        }
        if (problems.size() > shown) {
            sb.append("\n... and ").append(problems.size() - shown).append(" more problems");
        }
        return CliException.failure(sb.toString());
    }

    /** CPU milliseconds per task between two tick counts; null when either is unknown. */
    static Double perTask(Long beforeTicks, Long afterTicks, int tasks) {
        if (beforeTicks == null || afterTicks == null || afterTicks < beforeTicks || tasks <= 0) {
            return null;
        }
        return ProcStats.ticksToMs(afterTicks - beforeTicks) / tasks;
    }

    /** RSS of the overseer (pid from /health) and of the workers on this host (pid and host from /api/v1/workers). */
    List<String> rssLines(ApiClient client) {
        List<String> lines = new ArrayList<>();
        try {
            ApiClient.Response h = client.get("/health");
            if (h.ok()) {
                JsonNode pid = h.json().get("pid");
                String host = URI.create(client.baseUrl()).getHost();
                if (pid != null && pid.asLong(0) > 0 && isLocalHost(host)) {
                    String rss = rss(pid.asLong());
                    if (rss != null) {
                        lines.add("overseer pid " + pid.asLong() + ": " + rss);
                    }
                }
            }
            ApiClient.Response w = client.get("/api/v1/workers");
            if (w.ok()) {
                for (JsonNode worker : w.json().path("workers")) {
                    long pid = worker.path("pid").asLong(0);
                    if (pid > 0 && isLocalHost(Jobs.text(worker.get("host")))) {
                        String rss = rss(pid);
                        if (rss != null) {
                            lines.add("worker " + worker.path("id").asText("?") + " pid " + pid + ": " + rss);
                        }
                    }
                }
            }
        } catch (CliException e) {
            // RSS is a bonus: skip it when the server stops answering
        }
        return lines;
    }

    /** {@code RSS 123.4 MiB (peak 130.0 MiB)} from /proc/PID/status, or null when it is not a local Java process. */
    static String rss(long pid) {
        ProcStats.Memory m = ProcStats.memory(pid);
        if (m == null) {
            return null;
        }
        return String.format(Locale.ROOT, "RSS %.1f MiB", m.rssMib())
                + (m.peakKib() == null ? "" : String.format(Locale.ROOT, " (peak %.1f MiB)", m.peakKib() / 1024.0));
    }

    static boolean isLocalHost(String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            InetAddress local = InetAddress.getLocalHost();
            if (host.equalsIgnoreCase(local.getHostName()) || host.equalsIgnoreCase(local.getCanonicalHostName())) {
                return true;
            }
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    static Double rounded(Double v, int decimals) {
        return v == null || v.isNaN() || v.isInfinite() ? null : round(v, decimals);
    }

    static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }
}
