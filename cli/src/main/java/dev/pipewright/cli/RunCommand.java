package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.state.TaskState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code pipewright run FILE}: register a pipeline, submit a job, wait for it and print its outputs. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Register the pipeline FILE with the server, run one job and wait for it.",
                "On success prints the wanted outputs (--output, else every data node the run writes and nothing reads)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the job succeeded", "1:invalid pipeline or request, job failed or timed out",
                "2:usage error, unreadable file or server unreachable"})
public final class RunCommand extends ServerCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The pipeline file (YAML or JSON).")
    String file;

    @Option(names = "--file", paramLabel = "FILE", description = "The pipeline file, as an option (seed 003's form: --file F --inputs a=b c=d).")
    String fileOption;

    @Option(names = "--param", paramLabel = "NAME=VALUE",
            description = "A parameter value, converted to the declared type (object and array as JSON). Repeatable.")
    List<String> params = new ArrayList<>();

    @Option(names = "--input", paramLabel = "NODE=@PATH|NODE=VALUE",
            description = "A job input: @PATH sends the file's bytes, anything else the text. Repeatable.")
    List<String> inputs = new ArrayList<>();

    // seed 003's form: one option, several job inputs (--inputs document_id=D0 page_num=0); the same NODE=VALUE|NODE=@PATH as --input
    @Option(names = "--inputs", arity = "1..*", paramLabel = "NODE=VALUE",
            description = "Job inputs, several after one option (--inputs a=b c=@file.txt); same forms as --input.")
    List<String> inputList = new ArrayList<>();

    @Option(names = "--output", paramLabel = "NODE", split = ",",
            description = "A data node to produce and print (the job runs only what it needs). Repeatable.")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--out-dir", paramLabel = "DIR", description = "Write each output to DIR/<node> and print the paths.")
    Path outDir;

    @Mixin
    PipelineNames.NameOption naming = new PipelineNames.NameOption();

    @Option(names = "--no-cache", description = "Take no memoised result: every node runs (and stores a fresh entry).")
    boolean noCache;

    @Option(names = "--refresh", paramLabel = "NODE", split = ",", description = "Run these process nodes even when memoised.")
    List<String> refresh = new ArrayList<>();

    @Option(names = "--json", description = "Print one JSON object {job, status, outputs: {node: text}}.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Stop waiting after this long (500ms, 30s, 10m, 1h); default: wait until the job ends.")
    String timeout;

    /** Every task state but SUCCESS. */
    static final List<String> NOT_SUCCEEDED = java.util.Arrays.stream(TaskState.values())
            .filter(t -> t != TaskState.SUCCESS).map(Enum::name).toList();
    /** How many tasks that did not succeed a failed run lists. */
    static final int FAILED_TASKS_SHOWN = 50;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = out();
        PrintWriter err = err();
        Duration limit = Jobs.duration("--timeout", timeout);
        if ((file == null) == (fileOption == null)) {
            throw CliException.usage(file == null ? "name the pipeline file: pipewright run FILE (or --file FILE)"
                    : "name the pipeline file once: FILE or --file FILE, not both");
        }
        if (file == null) {
            file = fileOption;
        }
        List<String> allInputs = new ArrayList<>(inputs);
        allInputs.addAll(inputList);
        String text = PipelineFiles.read(Path.of(file), file);
        Pipeline pipeline = PipelineFiles.parseValid(file, text);
        Map<String, Object> parameters = JobArgs.parameters(params, pipeline.parameters());
        Map<String, Object> inputValues = JobArgs.inputs(allInputs);
        List<String> wantedOutputs = outputs.stream().map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
        String pipelineName = naming.id(pipeline, file);

        ApiClient client = client();
        ApiClient.Response reg = PipelineFiles.register(client, pipelineName, file, text);
        if (!reg.ok()) {
            return refused(err, "registering pipeline '" + pipelineName + "'", reg);
        }
        JsonNode registered = reg.json();
        String pipelineId = registered.path("id").asText(pipelineName);

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("parameters", parameters);
        body.put("inputs", inputValues);
        body.put("outputs", wantedOutputs);
        if (noCache) {
            body.put("cache", false);
        }
        if (!refresh.isEmpty()) {
            body.put("refresh", refresh);
        }
        ApiClient.Response sub = client.postJson(PipelinesCommand.path(pipelineId) + "/jobs", body);
        if (!sub.ok()) {
            return refused(err, "submitting a job of pipeline '" + pipelineId + "'", sub);
        }
        String jobId = sub.json().path("id").asText();
        err.println("job " + jobId + " submitted (pipeline " + pipelineId + " v" + registered.path("version").asText("?") + ")");
        err.flush();

        JsonNode job = Jobs.await(client, jobId, limit, 20, 500, line -> {
            err.println(line);
            err.flush();
        });
        String status = job.path("status").asText();
        Map<String, Object> printed = new LinkedHashMap<>();
        int exit = 0;
        if (status.equals("SUCCESS")) {
            List<String> wanted = wantedOutputs.isEmpty() ? terminalOutputs(pipeline, names(job.path("pruned"))) : wantedOutputs;
            for (String node : wanted) {
                ApiClient.Response c = client.get(Jobs.path(jobId) + "/consumables/" + ApiClient.encode(node));
                if (c.status() == 404 && wantedOutputs.isEmpty() && notProduced(client, jobId, pipeline, node, err)) {
                    // a succeeded job left it unproduced (a branch not taken): nothing to print, no error
                    printed.put(node, null);
                    continue;
                }
                if (!c.ok()) {
                    err.println(node + ": no value (" + c.errorMessage() + ", HTTP " + c.status() + ")");
                    exit = CliException.FAILURE;
                    continue;
                }
                if (outDir != null) {
                    Files.createDirectories(outDir);
                    Path target = outDir.resolve(node);
                    Files.write(target, c.body());
                    printed.put(node, target.toString());
                    if (!json) {
                        out.println(target);
                    }
                } else {
                    String content = c.text();
                    printed.put(node, content);
                    if (!json) {
                        out.println("== " + node + " ==");
                        out.print(content);
                        if (!content.isEmpty() && !content.endsWith("\n")) {
                            out.println();
                        }
                    }
                }
            }
        } else {
            exit = CliException.FAILURE;
            // only the tasks that did not succeed, a page of them: a big job is not read whole
            JobPages.Tasks failed = JobPages.tasks(client, jobId, NOT_SUCCEEDED, FAILED_TASKS_SHOWN);
            for (JsonNode t : failed.rows()) {
                String e = Jobs.text(t.get("error"));
                err.println(t.path("node").asText() + ": " + t.path("status").asText() + (e == null || e.isBlank() ? "" : ": " + e.strip()));
            }
            if (failed.more() != null) {
                err.println("… more tasks did not succeed: pipewright status " + jobId + " --task-status "
                        + String.join(",", NOT_SUCCEEDED) + " --all-tasks");
            }
            err.println("job " + jobId + " " + status + " (" + job.path("progress").asText("?") + ")");
        }
        if (json) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("job", jobId);
            result.put("status", status);
            result.put("outputs", printed);
            out.println(ApiClient.JSON.writeValueAsString(result));
        }
        out.flush();
        err.flush();
        return exit;
    }

    private static int refused(PrintWriter err, String what, ApiClient.Response r) {
        List<String> problems = r.problems();
        if (r.status() == 400 && !problems.isEmpty()) {
            problems.forEach(err::println);
        } else {
            err.println(what + ": " + r.errorMessage() + " (HTTP " + r.status() + ")");
        }
        err.flush();
        return CliException.FAILURE;
    }

    private static Set<String> names(JsonNode list) {
        Set<String> out = new HashSet<>();
        list.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Data nodes written by a process node of the run (not pruned) and read by no process node, in declaration order. */
    /**
     * Whether a final output of a succeeded job was left unproduced on purpose: an optional output,
     * or one whose producer was skipped (below a branch not taken). Says so on stderr.
     */
    private static boolean notProduced(ApiClient client, String jobId, Pipeline pipeline, String node, PrintWriter err) throws IOException {
        if (pipeline.dataNodes().get(node) != null && pipeline.dataNodes().get(node).optional()) {
            err.println(node + ": not produced (an optional output)");
            return true;
        }
        String producer = null;
        for (ProcessNode p : pipeline.processNodes().values()) {
            if (p.output().contains(node)) {
                producer = p.name();
            }
        }
        if (producer == null) {
            return false;
        }
        ApiClient.Response skipped = client.get(Jobs.path(jobId) + "/tasks?status=SKIPPED&page_size=1000");
        if (!skipped.ok()) {
            return false;
        }
        for (JsonNode t : skipped.json().path("tasks")) {
            if (producer.equals(t.path("node").asText())) {
                err.println(node + ": not produced (" + producer + " was skipped: " + t.path("error").asText() + ")");
                return true;
            }
        }
        return false;
    }

    static List<String> terminalOutputs(Pipeline pipeline, Set<String> pruned) {
        Set<String> read = new HashSet<>();
        Set<String> written = new LinkedHashSet<>();
        for (ProcessNode node : pipeline.processNodes().values()) {
            read.addAll(node.input());
            if (!pruned.contains(node.name())) {
                written.addAll(node.output());
            }
        }
        List<String> out = new ArrayList<>();
        for (String d : pipeline.dataNodes().keySet()) {
            if (written.contains(d) && !read.contains(d)) {
                out.add(d);
            }
        }
        return out;
    }
}
