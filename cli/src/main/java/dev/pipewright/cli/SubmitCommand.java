package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Parameter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code pipewright submit PIPELINE | --run RUN}: submit a job of a stored pipeline, or into a run. */
@Command(name = "submit",
        description = {"Submit a job of the stored PIPELINE, or into the run --run RUN; prints the job id.",
                "--no-start only builds it (READY; start it with 'pipewright jobs start JOB'); --wait shows progress until it ends."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:submitted (with --wait: the job succeeded)", "1:refused, or the job failed", "2:usage error or server unreachable"})
public final class SubmitCommand extends ServerCommand {
    @Mixin
    HelpOption help = new HelpOption();

    @Parameters(index = "0", arity = "0..1", paramLabel = "PIPELINE", description = "The stored pipeline's id (not with --run).")
    String pipeline;

    @Option(names = "--run", paramLabel = "RUN", description = "Submit into this run (its pipeline version and priority).")
    String run;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "A parameter value. Repeatable.")
    List<String> params = new ArrayList<>();

    @Option(names = "--input", paramLabel = "NODE=@PATH|NODE=VALUE", description = "A job input. Repeatable.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--output", paramLabel = "NODE", split = ",", description = "Only produce these data nodes. Repeatable.")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", description = "The job's name (default: its id).")
    String name;

    @Option(names = "--priority", paramLabel = "low|medium|high", description = "Priority (jobs outside a run; default medium).")
    String priority;

    @Option(names = "--version", paramLabel = "V", description = "Pipeline version (default: latest; not with --run).")
    Integer version;

    @Option(names = "--cpu", paramLabel = "CORES", description = "config.infra.cpu: cores, above 0.")
    BigDecimal cpu;

    @Option(names = "--memory", paramLabel = "QUANTITY", description = "config.infra.memory, such as 512Mi or 2Gi.")
    String memory;

    @Option(names = "--storage", paramLabel = "QUANTITY", description = "config.infra.storage, such as 10Gi.")
    String storage;

    @Option(names = "--config", paramLabel = "NODE.KEY=VALUE",
            description = "Override a process node's config for this job (config.nodes; VALUE as JSON, else text; null removes). Repeatable.")
    List<String> config = new ArrayList<>();

    @Option(names = "--config-file", paramLabel = "FILE", description = "Config overrides per process node, YAML or JSON ({train: {epochs: 5}}).")
    String configFile;

    @Option(names = "--no-start", description = "Build the job only (status READY).")
    boolean noStart;

    @Option(names = "--no-cache", description = "Take no memoised result: every node runs (and stores a fresh entry).")
    boolean noCache;

    @Option(names = "--refresh", paramLabel = "NODE", split = ",",
            description = "Run these process nodes even when their result is memoised. Repeatable.")
    List<String> refresh = new ArrayList<>();

    @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Send Idempotency-Key: the same key returns the same job.")
    String idempotencyKey;

    @Mixin
    WaitOptions wait = new WaitOptions();

    @Override
    public Integer call() {
        PrintWriter out = out();
        PrintWriter err = err();
        if ((pipeline == null) == (run == null)) {
            throw CliException.usage("give either PIPELINE or --run RUN");
        }
        if (run != null && (version != null || priority != null)) {
            throw CliException.usage("--version and --priority come from the run; leave them out with --run");
        }
        Duration limit = wait.limit();
        ApiClient client = client();
        String path;
        Map<String, Parameter> declared;
        if (run != null) {
            JsonNode r = ApiClient.expect(client.get(RunsCommand.path(run)), "run " + run);
            declared = declared(client, r.path("pipeline_id").asText(), r.path("pipeline_version").asInt());
            path = RunsCommand.path(run) + "/jobs";
        } else {
            declared = declared(client, pipeline, version);
            path = PipelinesCommand.path(pipeline) + "/jobs";
        }
        Map<String, Object> body = new LinkedHashMap<>();
        if (!params.isEmpty()) {
            body.put("parameters", JobArgs.parameters(params, declared));
        }
        if (!inputs.isEmpty()) {
            body.put("inputs", JobArgs.inputs(inputs));
        }
        List<String> wanted = outputs.stream().map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
        if (!wanted.isEmpty()) {
            body.put("outputs", wanted);
        }
        JobArgs.putGiven(body, "job_name", name);
        JobArgs.putGiven(body, "priority", priority);
        JobArgs.putGiven(body, "version", version);
        Map<String, Object> jobConfig = new LinkedHashMap<>();
        if (cpu != null || memory != null || storage != null) {
            Map<String, Object> infra = new LinkedHashMap<>();
            JobArgs.putGiven(infra, "cpu", cpu);
            JobArgs.putGiven(infra, "memory", memory);
            JobArgs.putGiven(infra, "storage", storage);
            jobConfig.put("infra", infra);
        }
        Map<String, Object> nodeConfig = ConfigArgs.nodes(configFile, config);
        if (!nodeConfig.isEmpty()) {
            jobConfig.put("nodes", nodeConfig);
        }
        if (!jobConfig.isEmpty()) {
            body.put("config", jobConfig);
        }
        if (noStart) {
            body.put("start", false);
        }
        if (noCache) {
            body.put("cache", false);
        }
        if (!refresh.isEmpty()) {
            body.put("refresh", refresh);
        }
        ApiClient.Response r = client.postJson(path, body, idempotencyKey == null ? Map.of() : Map.of("Idempotency-Key", idempotencyKey));
        JsonNode accepted = ApiClient.expect(r, "job refused");
        String jobId = accepted.path("id").asText();
        if (wait.await) {
            err.println("job " + jobId + " " + accepted.path("status").asText());
            err.flush();
        }
        return wait.printOrAwait(client, jobId, limit, accepted, out, err, a -> out.println(jobId));
    }

    /** The parameters a pipeline version declares, so that --param values get their declared types. */
    static Map<String, Parameter> declared(ApiClient client, String pipelineId, Integer version) {
        JsonNode p = ApiClient.expect(client.get(PipelinesCommand.path(pipelineId) + (version == null ? "" : "?version=" + version)),
                "pipeline " + pipelineId);
        PipelineParser.Result parsed = new PipelineParser().parse(p.path("source").asText());
        return parsed.valid() ? parsed.pipeline().parameters() : Map.of();
    }
}
