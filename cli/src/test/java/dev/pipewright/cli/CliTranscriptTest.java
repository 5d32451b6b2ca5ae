package dev.pipewright.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every command and its output flags run against a local server with canned answers; what each
 * printed (stdout, stderr, exit code) and asked (method, path, query, body) is compared with the
 * transcript in src/test/resources, so a refactoring that changes a byte of output fails here.
 * The bearer token picks the server's mood: {@code ok}, {@code empty} lists, or an error answer
 * ({@code refused} with two problems, {@code missing} with one, {@code html} that is not JSON,
 * {@code invalid}: HTTP 400 with problems). After a deliberate change to the output, write the
 * transcript again with {@code -Dcli.transcript.write=true} and read the diff.
 */
class CliTranscriptTest {
    private static final Path TRANSCRIPT = Path.of("src/test/resources/dev/pipewright/cli/transcript.txt");

    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static final String PIPELINE_SOURCE = """
            name: demo
            parameters:
              n: integer
            dataNodes:
              raw:
              upper:
              report:
            processNodes:
              shout: {input: raw, output: upper, processor: identity}
              summarize: {input: [upper], output: report, processor: identity}
            """;

    private void answer(HttpExchange ex) throws java.io.IOException {
        String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
        String mood = auth.startsWith("Bearer ") ? auth.substring(7) : "ok";
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
        seen.add("> " + method + " " + ex.getRequestURI() + (body.isEmpty() ? "" : " " + body));
        int status = 200;
        String type = "application/json";
        String text;
        switch (mood) {
            case "refused" -> {
                status = 409;
                text = "{\"error\": {\"code\": \"conflict\", \"message\": \"refused here\", \"problems\": ["
                        + "{\"path\": \"$.a\", \"message\": \"bad a\"}, {\"path\": \"$.b\", \"message\": \"bad b\"}]}}";
            }
            case "missing" -> {
                status = 404;
                text = "{\"error\": {\"code\": \"not_found\", \"message\": \"no such thing\", \"problems\": ["
                        + "{\"path\": \"$.id\", \"message\": \"unknown\"}]}}";
            }
            case "invalid" -> {
                status = 400;
                text = "{\"error\": {\"code\": \"invalid\", \"message\": \"invalid request\", \"problems\": ["
                        + "{\"path\": \"$.x\", \"message\": \"bad x\"}, {\"path\": \"$.y\", \"message\": \"bad y\"}]}}";
            }
            case "html" -> {
                status = 502;
                type = "text/html";
                text = "<html>\n<body>Bad   gateway</body>\n</html>";
            }
            default -> text = okAnswer(method, path, query, mood.equals("empty"));
        }
        if (text == null) {
            status = 404;
            text = "{\"error\": {\"code\": \"not_found\", \"message\": \"no route " + method + " " + path + "\"}}";
        } else if (text.startsWith("event:") || text.startsWith("digraph") || text.startsWith("report")) {
            type = text.startsWith("event:") ? "text/event-stream" : "text/plain";
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    /** The answer of a server that has things to show (or, with {@code empty}, no items in any list). */
    private static String okAnswer(String method, String path, String query, boolean empty) {
        boolean second = query.contains("page_after=c1");
        String next = empty || second ? "null" : "\"c1\"";
        String job = "{\"id\": \"j1\", \"name\": \"nightly\", \"status\": \"RUNNING\", \"progress\": \"1/2\", \"stage\": [\"shout\", \"x\"],"
                + " \"priority\": \"high\", \"run_id\": \"r1\", \"pipeline_id\": \"p1\", \"pipeline_version\": 2, \"created_at\": \"2026-01-01T00:00:00Z\"}";
        String job2 = "{\"id\": \"j2\", \"name\": null, \"status\": \"SUCCESS\", \"progress\": \"2/2\", \"stage\": [],"
                + " \"pipeline_id\": \"p1\", \"pipeline_version\": 1, \"created_at\": \"\"}";
        String run = "{\"id\": \"r1\", \"name\": \"batch\", \"pipeline_id\": \"p1\", \"pipeline_version\": 2, \"status\": \"RUNNING\","
                + " \"priority\": \"low\", \"num_jobs\": 3, \"num_successful_jobs\": 1, \"num_failed_jobs\": 1, \"num_running_jobs\": 1,"
                + " \"tags\": {\"team\": \"a\"}, \"domain_context\": {\"k\": \"v\"}, \"owner\": \"alice\", \"created_at\": \"2026-01-01T00:00:00Z\","
                + " \"last_updated_at\": null}";
        String schedule = "{\"cron\": \"5 10 * * *\", \"timezone\": \"Europe/Paris\", \"start_date\": \"2022-01-01 00:00\", \"end_date\": null,"
                + " \"paused\": false, \"next_run_at\": \"2026-01-02T09:05:00Z\", \"last_run_at\": \"2026-01-01T09:05:00Z\","
                + " \"last_job_id\": \"j1\", \"last_error\": \"quota\"}";
        String finished = "{\"id\": \"j1\", \"pipeline_id\": \"p1\", \"pipeline_version\": 2, \"status\": \"SUCCESS\", \"progress\": \"2/2\","
                + " \"finished\": true, \"counts\": {\"succeeded\": 2, \"failed\": 0, \"skipped\": 0, \"total\": 3},"
                + " \"trigger\": \"schedule\", \"scheduled_for\": \"2026-01-01T09:05:00Z\", \"created_at\": \"2026-01-01T00:00:00Z\","
                + " \"started_at\": \"2026-01-01T00:00:01Z\", \"finished_at\": null, \"duration_ms\": 1234.5, \"parameters\": {\"n\": 3},"
                + " \"outputs\": [\"report\"], \"pruned\": [\"x\", \"y\"], \"stage\": [\"shout\"]}";
        String failed = "{\"id\": \"j2\", \"pipeline_id\": \"p1\", \"pipeline_version\": 2, \"status\": \"FAILED\", \"progress\": \"1/2\","
                + " \"counts\": {\"succeeded\": 1, \"failed\": 1, \"skipped\": 0, \"total\": 2}}";
        String task1 = "{\"node\": \"shout\", \"processor\": \"identity\", \"status\": \"SUCCESS\", \"attempts\": 1,"
                + " \"started_us\": 1000, \"ended_us\": 3500, \"worker\": \"w1\", \"error\": null}";
        String task2 = "{\"node\": \"summarize\", \"processor\": \"identity\", \"status\": \"FAILED\", \"attempts\": 3,"
                + " \"worker\": null, \"error\": \"  boom\\nstack line\\n\"}";
        return switch (method + " " + path) {
            case "GET /api/v1/pipelines" -> empty ? "{\"pipelines\": [], \"next_page_after\": null}" : second
                    ? "{\"pipelines\": [{\"id\": \"p3\", \"latest_version\": 1, \"owner\": \"\", \"updated_at\": null}], \"next_page_after\": null}"
                    : "{\"pipelines\": [{\"id\": \"p1\", \"latest_version\": 12, \"owner\": \"alice\", \"updated_at\": \"2026-01-01T00:00:00Z\"},"
                    + " {\"id\": \"pipeline-two\", \"latest_version\": 1}], \"next_page_after\": " + next + "}";
            case "POST /api/v1/pipelines" -> "{\"id\": \"demo\", \"version\": 2, \"name\": \"demo\"}";
            case "GET /api/v1/pipelines/p1" -> "{\"id\": \"p1\", \"version\": 2, \"latest_version\": 3, \"owner\": \"alice\","
                    + " \"created_at\": \"2026-01-01T00:00:00Z\", \"updated_at\": null, \"process_nodes\": [\"shout\", \"summarize\"],"
                    + " \"data_nodes\": [], \"parameters\": [\"n\"], \"schedule\": " + (empty ? "null" : schedule) + ", \"source\": "
                    + quote(PIPELINE_SOURCE) + "}";
            case "GET /api/v1/pipelines/p1/versions" -> empty ? "{\"versions\": []}"
                    : "{\"versions\": [{\"version\": 2, \"owner\": \"alice\", \"created_at\": \"2026-01-02T00:00:00Z\"}, {\"version\": 1}]}";
            case "DELETE /api/v1/pipelines/p1" -> "{\"id\": \"p1\", \"versions\": 3}";
            case "POST /api/v1/pipelines/p1/schedule/pause", "POST /api/v1/pipelines/p1/schedule/resume" ->
                    "{\"id\": \"p1\", \"schedule\": " + schedule.replace("\"paused\": false", "\"paused\": " + path.endsWith("pause")) + "}";
            case "POST /api/v1/pipelines/p1/jobs", "POST /api/v1/pipelines/demo/jobs", "POST /api/v1/runs/r1/jobs" ->
                    "{\"id\": \"j1\", \"status\": \"RUNNING\"}";
            case "GET /api/v1/pipelines/p1/plan" -> "{\"outputs\": [\"report\"], \"run\": [\"shout\", \"summarize\"], \"pruned\": [\"x\"],"
                    + " \"missing\": {\"shout\": [\"raw\"]}, \"nodes\": [{\"node\": \"shout\", \"status\": \"run\", \"processor\": \"identity\","
                    + " \"pool\": \"default\", \"inputs\": [\"raw\"], \"outputs\": [\"upper\"], \"missing\": [\"raw\"]},"
                    + " {\"node\": \"x\", \"status\": \"pruned\", \"inputs\": [], \"outputs\": [], \"missing\": []}],"
                    + " \"jobInputs\": [\"raw\", \"other\"], \"available\": [\"other\"]}";
            case "GET /api/v1/pipelines/p1/graph", "GET /api/v1/jobs/j1/graph" -> "digraph {\n  a -> b\n}\n";
            case "GET /api/v1/runs" -> empty ? "{\"runs\": [], \"next_page_after\": null}"
                    : "{\"runs\": [" + (second ? run.replace("r1", "r2") : run + ", " + run.replace("\"batch\"", "null")) + "], \"next_page_after\": " + next + "}";
            case "POST /api/v1/runs" -> run;
            case "GET /api/v1/runs/r1" -> run;
            case "GET /api/v1/runs/r1/jobs", "GET /api/v1/jobs" -> empty ? "{\"jobs\": [], \"next_page_after\": null}"
                    : "{\"jobs\": [" + (second ? job2 : job + ", " + job2) + "], \"next_page_after\": " + next + "}";
            case "GET /api/v1/jobs/j1" -> finished;
            case "GET /api/v1/jobs/j2" -> failed;
            case "GET /api/v1/jobs/j1/tasks", "GET /api/v1/jobs/j2/tasks" -> empty ? "{\"tasks\": [], \"next_page_after\": null}"
                    : query.contains("page_size=1&") || query.endsWith("page_size=1") ? "{\"tasks\": [" + task1 + "], \"next_page_after\": \"t1\"}"
                    : "{\"tasks\": [" + task1 + ", " + task2 + "], \"next_page_after\": null}";
            case "POST /api/v1/jobs/j1/start" -> "{\"id\": \"j1\", \"status\": \"RUNNING\", \"started\": " + !empty + "}";
            case "POST /api/v1/jobs/j1/cancel" -> "{\"id\": \"j1\", \"status\": \"CANCELLED\"}";
            case "DELETE /api/v1/jobs/j1" -> "{\"id\": \"j1\", \"deleted\": true}";
            case "POST /api/v1/jobs/j1/retry" -> "{\"id\": \"j1\", \"status\": \"RUNNING\"}";
            case "GET /api/v1/jobs/j1/logs" -> query.contains("follow=true")
                    ? "event: status\ndata: {\"status\": \"RUNNING\", \"progress\": \"0/2\"}\n\n"
                    + "event: log\ndata: {\"node\": \"shout\", \"attempt\": 1, \"line\": \"hello\"}\n\n"
                    + "event: status\ndata: {\"status\": \"RUNNING\", \"progress\": \"0/2\"}\n\n"
                    + "event: end\ndata: {\"status\": \"" + (empty ? "FAILED" : "SUCCESS") + "\"}\n\n"
                    : "{\"logs\": {\"shout\": [{\"attempt\": 1, \"line\": \"hello\"}, {\"attempt\": 2, \"line\": \"again\"}], \"summarize\": []}}";
            case "GET /api/v1/jobs/j1/consumables/report" -> "report text";
            case "GET /api/v1/admin/queues" -> empty ? "{\"queues\": []}"
                    : "{\"queues\": [{\"pool\": \"default\", \"ready\": 3, \"unacked\": 1, \"in_flight\": 2, \"consumers\": 1, \"workers\": 1,"
                    + " \"oldest_age_ms\": 125000, \"paused\": false}, {\"pool\": \"gpu\", \"ready\": 0, \"oldest_age_ms\": 7200000, \"paused\": true}]}";
            case "GET /api/v1/admin/workers" -> empty ? "{\"workers\": []}"
                    : "{\"workers\": [{\"id\": \"w1\", \"alive\": true, \"pools\": [\"default\", \"gpu\"], \"concurrency\": 4, \"in_flight\": 2,"
                    + " \"paused_pools\": [], \"version\": \"0.1.0\", \"host\": \"h\", \"last_seen_ago_ms\": 800},"
                    + " {\"id\": \"w2\", \"alive\": false, \"last_seen_ago_ms\": null}]}";
            case "GET /api/v1/admin/limits" -> empty ? "{\"limits\": []}"
                    : "{\"limits\": [{\"kind\": \"processor\", \"name\": \"http_fetch\", \"max\": 5, \"in_use\": 2, \"waiting\": 7},"
                    + " {\"kind\": \"pipeline\", \"name\": \"p1\", \"max\": 1, \"in_use\": 0, \"waiting\": 0}]}";
            case "PUT /api/v1/admin/limits/processor/http_fetch" -> "{\"max\": 5, \"dispatched\": " + (empty ? 0 : 2) + "}";
            case "DELETE /api/v1/admin/limits/processor/http_fetch" -> "{\"dispatched\": " + (empty ? 0 : 4) + "}";
            case "GET /api/v1/admin/dlq" -> empty ? "{\"total\": 0, \"dead_letters\": []}"
                    : "{\"total\": 3, \"dead_letters\": [{\"id\": \"x1\", \"at\": 1700000000000, \"job\": \"j1\", \"node\": \"n\","
                    + " \"processor\": \"identity\", \"pool\": \"default\", \"reason_code\": \"rejected\", \"task\": \"failed\"},"
                    + " {\"id\": \"x2\", \"at\": 0}]}";
            case "GET /api/v1/admin/dlq/x1" -> "{\"id\": \"x1\", \"body\": {\"a\": [1, 2]}}";
            case "POST /api/v1/admin/dlq/replay" -> "{\"dry_run\": " + empty + ", \"matched\": 2, \"replayed\": 1, \"results\": ["
                    + "{\"id\": \"x1\", \"job\": \"j1\", \"node\": \"n\", \"action\": \"replayed\", \"new_job\": \"j9\"},"
                    + " {\"id\": \"x2\", \"action\": \"" + (empty ? "skipped" : "error") + "\", \"detail\": \"still running\"}]}";
            case "POST /api/v1/admin/dlq/purge" -> "{\"dry_run\": " + empty + ", \"matched\": 2, \"purged\": 2, \"ids\": [\"x1\", \"x2\"],"
                    + " \"queue_messages_purged\": " + (empty ? 0 : 5) + "}";
            case "POST /api/v1/admin/pools/gpu/pause", "POST /api/v1/admin/pools/gpu/resume" ->
                    "{\"pool\": \"gpu\", \"paused\": " + path.endsWith("pause") + ", \"broadcast\": " + !empty + "}";
            case "POST /api/v1/admin/pools/gpu/drain" -> empty
                    ? "{\"drained\": false, \"waited_ms\": 61000, \"in_flight\": 2, \"unacked\": 1, \"remaining_workers\": ["
                    + "{\"id\": \"w1\", \"in_flight\": 2, \"unacked\": 1, \"paused\": false}, {\"id\": \"w2\", \"in_flight\": 0, \"unacked\": 0, \"paused\": true}]}"
                    : "{\"drained\": true, \"waited_ms\": 850}";
            case "GET /api/v1/tokens" -> empty ? "{\"tokens\": []}"
                    : "{\"tokens\": [{\"id\": \"tok_1\", \"name\": \"ci\", \"owner\": \"ci\", \"role\": \"submit\", \"created_at\": \"2026-01-01T00:00:00Z\","
                    + " \"last_used_at\": null, \"source\": \"api\"}, {\"id\": \"tok_boot\", \"name\": \"a-rather-long-token-name\", \"owner\": \"ops\","
                    + " \"role\": \"admin\", \"created_at\": null, \"last_used_at\": \"2026-01-02T00:00:00Z\", \"source\": \"env\"}]}";
            case "POST /api/v1/tokens" -> "{\"id\": \"tok_1\", \"name\": \"ci\", \"owner\": \"ci\", \"role\": \"submit\", \"token\": \"pw_secret\"}";
            case "DELETE /api/v1/tokens/tok_1" -> "{\"id\": \"tok_1\", \"revoked\": true}";
            default -> null;
        };
    }

    private static String quote(String s) {
        return ApiClient.JSON.getNodeFactory().textNode(s).toString();
    }

    /** The command lines: each runs once per mood listed before it ("ok" alone when none). */
    private List<List<String>> commands() throws Exception {
        Path file = Files.writeString(dir.resolve("demo.yaml"), PIPELINE_SOURCE);
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "dataNodes:\n  a:\nprocessNodes:\n  p: {input: [missing], output: a, processor: noop}\n");
        String f = file.toString();
        String b = bad.toString();
        String all = "ok empty refused missing html";
        String[][] lines = {
                {all, "pipelines list"}, {all, "pipelines list --json"}, {"ok", "pipelines list --all --owner alice --page-size 2"},
                {"ok", "pipelines list --all --json"}, {"ok", "pipelines list --page-after c1 --owner a&b"},
                {all, "pipelines get p1"}, {"ok empty", "pipelines get p1 --json"}, {"ok", "pipelines get p1 --source --version 2"},
                {all, "pipelines versions p1"}, {"ok", "pipelines versions p1 --json"},
                {all, "pipelines delete p1"}, {"ok", "pipelines delete p1 --json"},
                {all, "pipelines schedule pause p1"}, {"ok", "pipelines schedule resume p1"}, {"ok", "pipelines schedule pause p1 --json"},
                {"ok refused invalid", "pipelines create " + f}, {"ok", "pipelines create " + f + " --json --name other"},
                {"ok", "pipelines create " + b},
                {all, "runs list"}, {"ok", "runs list --json --status RUNNING --priority low --pipeline p1 --owner o --tag team:a"},
                {"ok", "runs list --all"}, {all, "runs get r1"}, {"ok", "runs get r1 --json"},
                {all, "runs jobs r1"}, {"ok", "runs jobs r1 --status FAILED --json --all"},
                {all, "runs create p1 --name n --priority high --tag a=b --context c=d --version 2"}, {"ok", "runs create p1 --json"},
                {all, "jobs list"}, {"ok", "jobs list --json --status RUNNING --priority low --pipeline p1 --run r1 --owner o --trigger schedule"},
                {"ok", "jobs list --all --page-size 1"},
                {all, "jobs get j1"}, {"ok", "jobs get j1 --json"}, {"ok", "jobs get j2"},
                {all, "jobs start j1"}, {"ok", "jobs start j1 --json"}, {"ok", "jobs start j1 --wait"}, {"ok", "jobs start j1 --wait --json"},
                {all, "jobs delete j1"}, {"ok", "jobs delete j1 --json"},
                {all, "status j1"}, {"ok", "status j1 --json"}, {"ok", "status j1 --max-tasks 1"}, {"ok", "status j1 --max-tasks 1 --json"},
                {"ok", "status j1 --max-tasks 0"}, {"ok", "status j2 --all-tasks --task-status FAILED,SKIPPED"},
                {all, "cancel j1"}, {"ok", "cancel j1 --json --no-wait"},
                {all, "retry j1"}, {"ok", "retry j1 --json"}, {"ok", "retry j1 --wait"}, {"ok", "retry j1 --wait --json"},
                {all, "logs j1"}, {"ok", "logs j1 --json --node shout --attempt 2"}, {"ok empty", "logs j1 -f"},
                {"ok", "logs j1 -f --json --node shout"}, {"ok", "logs j1 --attempt 0"},
                {all, "submit p1 --param n=3 --input raw=hello --output report,upper --name x --priority high --cpu 1.5 --memory 1Gi"},
                {"ok", "submit p1 --json --no-start --idempotency-key k1 --storage 2Gi --version 2"},
                {"ok", "submit --run r1 --wait"}, {"ok", "submit --run r1 --wait --json"},
                {"ok refused invalid html", "run " + f + " --input raw=x"}, {"ok", "run " + f + " --input raw=x --json --output report"},
                {"ok", "run " + b}, {"ok", "run " + f + " --out-dir " + dir.resolve("out")},
                {all, "plan --pipeline p1 --outputs report --available raw"}, {"ok", "plan --pipeline p1 --json"},
                {all, "graph --pipeline p1 --outputs report"}, {"ok", "graph --job j1 -f mermaid"}, {"ok", "graph " + f},
                {"ok", "validate " + f}, {"ok", "validate " + b},
                {all, "queues"}, {"ok", "queues --json"}, {all, "workers"}, {"ok", "workers --json"},
                {all, "limits list"}, {"ok", "limits list --json"},
                {all, "limits set processor http_fetch 5"}, {all, "limits unset processor http_fetch"},
                {all, "pool pause gpu"}, {"ok empty", "pool resume gpu"}, {"ok", "pool pause gpu --json"},
                {all, "pool drain gpu --timeout 2m"}, {"ok", "pool drain gpu --json"},
                {all, "dlq list"}, {"ok", "dlq list --json --job j1 --processor p --reason a b --limit 5"},
                {all, "dlq show x1"}, {all, "dlq replay --all"}, {"ok", "dlq replay --id x1 --dry-run --json"},
                {all, "dlq purge --job j1 --dry-run"}, {"ok", "dlq purge --all --json"},
                {all, "token list"}, {"ok", "token list --json"}, {all, "token create --role submit --name ci --owner o"},
                {"ok", "token create --role admin --json"}, {all, "token revoke tok_1"}, {"ok", "token revoke tok_1 --json"},
        };
        List<List<String>> out = new ArrayList<>();
        for (String[] line : lines) {
            for (String mood : line[0].split(" ")) {
                List<String> args = new ArrayList<>();
                // "--reason a b" stands for one argument with a space in it
                for (String a : line[1].replace("--reason a b", "--reason a\u0000b").split(" ")) {
                    args.add(a.replace('\u0000', ' '));
                }
                args.add("--url");
                args.add(url());
                if (!mood.equals("ok")) {
                    args.add("--token");
                    args.add(mood);
                }
                out.add(args);
            }
        }
        return out;
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void everyCommandPrintsWhatItPrintedBefore() throws Exception {
        StringBuilder transcript = new StringBuilder();
        for (List<String> args : commands()) {
            seen.clear();
            CommandLine cl = PipewrightCli.commandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int exit = cl.execute(args.toArray(String[]::new));
            transcript.append("$ pipewright ").append(String.join(" ", args)).append('\n');
            seen.forEach(s -> transcript.append(s).append('\n'));
            transcript.append("exit ").append(exit).append('\n')
                    .append("--- stdout\n").append(out).append("--- stderr\n").append(err).append("---\n\n");
        }
        for (List<String> path : helpPaths()) {
            CommandLine cl = PipewrightCli.commandLine();
            StringWriter out = new StringWriter();
            cl.setOut(new PrintWriter(out, true));
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            int exit = cl.execute(args.toArray(String[]::new));
            transcript.append("$ pipewright ").append(String.join(" ", args)).append("\nexit ").append(exit).append('\n').append(out).append("---\n\n");
        }
        String text = transcript.toString().replace(url(), "$URL").replace(dir.toString(), "$DIR");
        if (Boolean.getBoolean("cli.transcript.write")) {
            Files.createDirectories(TRANSCRIPT.getParent());
            Files.writeString(TRANSCRIPT, text);
        }
        assertEquals(Files.readString(TRANSCRIPT), text);
    }

    private static List<List<String>> helpPaths() {
        List<List<String>> paths = new ArrayList<>();
        collect(PipewrightCli.commandLine(), new ArrayList<>(), paths);
        return paths;
    }

    private static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help") && sub.getCommandName().equals(name)) {
                List<String> next = new ArrayList<>(path);
                next.add(name);
                collect(sub, next, out);
            }
        });
    }
}
