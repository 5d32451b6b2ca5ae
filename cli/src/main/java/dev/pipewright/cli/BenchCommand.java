package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Pipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code pipewright bench}: registers the W1..W4 workloads, runs one job of each against a live
 * system, measures wall time (submit request to the poll that sees the job finished) and checks
 * every result.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark a running system with the DESIGN.md workloads (no-op tasks):",
                "W1 10,000 independent tasks, W2 a chain of 1,000, W3 1 -> 2,000 -> 1,",
                "W4 20 layers x 100 tasks each reading 2 tasks of the layer before (seeded).",
                "Every result is checked: job and tasks SUCCESS, one attempt each, no task started before a parent ended,",
                "and every terminal data node has a value."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:all shapes correct", "1:a shape was incorrect or refused", "2:usage error or server unreachable"})
public final class BenchCommand implements Callable<Integer> {
    static final long POLL_MS = 5;

    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--shape", required = true, paramLabel = "W1|W2|W3|W4|all", split = ",",
            description = "The workload(s) to run.")
    List<String> shapes;

    @Option(names = "--json", description = "Print one JSON object per shape and line: "
            + "{shape, tasks, wall_s, tasks_per_s, hop_ms_p50, hop_ms_p99, correct}.")
    boolean json;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of W4's random wiring (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--pool", defaultValue = "default", description = "Worker pool of the tasks (default: ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--timeout", defaultValue = "10m", paramLabel = "DURATION",
            description = "Longest wait for one shape's job (default: ${DEFAULT-VALUE}).")
    String timeout;

    /** One shape's figures. Hop fields are null except for W2. */
    record Result(String shape, int tasks, double wallS, double tasksPerS, Double hopP50, Double hopP99,
                  boolean correct, String reason) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("shape", shape);
            m.put("tasks", tasks);
            m.put("wall_s", round(wallS, 3));
            m.put("tasks_per_s", round(tasksPerS, 1));
            m.put("hop_ms_p50", hopP50 == null ? null : round(hopP50, 3));
            m.put("hop_ms_p99", hopP99 == null ? null : round(hopP99, 3));
            m.put("correct", correct);
            return m;
        }

        String human() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-3s tasks %6d  wall %8.3f s  %9.1f tasks/s",
                    shape, tasks, wallS, tasksPerS));
            if (hopP50 != null) {
                sb.append(String.format(Locale.ROOT, "  hop p50 %.3f ms p99 %.3f ms", hopP50, hopP99));
            }
            sb.append("  correct: ").append(correct ? "yes" : "no (" + reason + ")");
            return sb.toString();
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Duration limit = Jobs.duration("--timeout", timeout);
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
                throw CliException.usage("--shape '" + s + "': expected W1, W2, W3, W4 or all");
            }
            if (!selected.contains(n)) {
                selected.add(n);
            }
        }
        ApiClient client = server.client();
        boolean allCorrect = true;
        for (String shape : selected) {
            Result r = runShape(client, shape, limit, err);
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

    private Result runShape(ApiClient client, String shape, Duration limit, PrintWriter err) throws IOException, InterruptedException {
        BenchShapes.Generated gen = BenchShapes.generate(shape, seed, pool);
        byte[] doc = ApiClient.JSON.writeValueAsBytes(gen.document());
        PipelineParser.Result parsed = new PipelineParser().parse(new String(doc, StandardCharsets.UTF_8));
        if (!parsed.valid()) {
            throw CliException.failure(shape + ": generated pipeline is invalid: " + parsed.problems().get(0));
        }
        Pipeline pipeline = parsed.pipeline();
        if (!json) {
            err.println(shape + ": registering " + gen.pipelineName() + " (" + gen.tasks() + " tasks, " + doc.length / 1024 + " KiB)");
            err.flush();
        }
        ApiClient.Response reg = client.post("/api/v1/pipelines?name=" + ApiClient.encode(gen.pipelineName()), "application/json", doc);
        if (!reg.ok()) {
            throw refused(shape + ": registering " + gen.pipelineName(), reg);
        }
        String pipelineId = reg.json().path("id").asText(gen.pipelineName());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("parameters", Map.of());
        body.put("inputs", Map.of());
        body.put("outputs", List.of());

        long t0 = System.nanoTime();
        ApiClient.Response sub = client.postJson("/api/v1/pipelines/" + ApiClient.encode(pipelineId) + "/jobs", body);
        if (!sub.ok()) {
            throw refused(shape + ": submitting a job", sub);
        }
        String jobId = sub.json().path("id").asText();
        String path = Jobs.path(jobId) + "?tasks=false";
        long deadline = t0 + limit.toNanos();
        JsonNode last;
        while (true) {
            last = client.getJson(path, "job " + jobId);
            if (Jobs.finished(last)) {
                break;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(POLL_MS);
        }
        long t1 = System.nanoTime();
        double wallS = (t1 - t0) / 1e9;
        if (!Jobs.finished(last)) {
            int done = last.path("counts").path("succeeded").asInt(0) + last.path("counts").path("failed").asInt(0)
                    + last.path("counts").path("skipped").asInt(0);
            return new Result(shape, gen.tasks(), wallS, done / wallS, null, null, false,
                    "timed out after " + dev.pipewright.protocol.pipeline.Durations.format(limit) + " (job " + jobId + " "
                            + Jobs.progressLine(last) + ")");
        }
        if (!json) {
            err.println(shape + ": job " + jobId + " " + Jobs.progressLine(last) + " after "
                    + String.format(Locale.ROOT, "%.3f", wallS) + " s; checking");
            err.flush();
        }
        JsonNode full = client.getJson(Jobs.path(jobId), "job " + jobId);
        List<String> issues = new ArrayList<>(BenchCheck.verify(full, pipeline));
        String missing = checkConsumables(client, jobId, BenchCheck.terminalDataNodes(pipeline));
        if (missing != null) {
            issues.add(missing);
        }
        Double p50 = null;
        Double p99 = null;
        if (!gen.chain().isEmpty()) {
            long[] ended = BenchCheck.endedUs(full, gen.chain());
            if (ended == null) {
                issues.add("chain tasks without ended_us: no hop latency");
            } else {
                double[] hops = Percentiles.hopsMs(ended);
                p50 = Percentiles.percentile(hops, 50);
                p99 = Percentiles.percentile(hops, 99);
            }
        }
        return new Result(shape, gen.tasks(), wallS, gen.tasks() / wallS, p50, p99, issues.isEmpty(),
                String.join("; ", issues));
    }

    /** GETs every terminal consumable (16 at a time); null when all answer 200, else what is missing. */
    private static String checkConsumables(ApiClient client, String jobId, List<String> nodes) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> answers = new ArrayList<>(nodes.size());
            for (String node : nodes) {
                answers.add(pool.submit(() -> client.get(Jobs.path(jobId) + "/consumables/" + ApiClient.encode(node)).status()));
            }
            int bad = 0;
            String example = null;
            for (int i = 0; i < nodes.size(); i++) {
                int status;
                try {
                    status = answers.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof CliException c) {
                        throw c;
                    }
                    status = -1;
                }
                if (status != 200) {
                    bad++;
                    if (example == null) {
                        example = nodes.get(i) + ": HTTP " + status;
                    }
                }
            }
            return bad == 0 ? null : bad + " of " + nodes.size() + " terminal consumables missing (e.g. " + example + ")";
        } finally {
            pool.shutdownNow();
        }
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
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
            if (!cmdline.contains("java")) {
                return null;
            }
            Long rss = null;
            Long hwm = null;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line);
                }
            }
            if (rss == null) {
                return null;
            }
            return String.format(Locale.ROOT, "RSS %.1f MiB", rss / 1024.0)
                    + (hwm == null ? "" : String.format(Locale.ROOT, " (peak %.1f MiB)", hwm / 1024.0));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Long kib(String line) {
        String[] parts = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
        return Long.parseLong(parts[0]);
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

    static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }
}
