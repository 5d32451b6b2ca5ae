package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.pipeline.Problem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code pipewright plan FILE}: what a job would run, in order, what is pruned and which inputs are missing. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Show a pipeline's execution plan: every process node in execution order, whether it runs or is "
                + "pruned (leads to no wanted output), and the job inputs it would lack.",
                "Reads a local FILE, or a stored pipeline with --pipeline.",
                "For a stored pipeline whose nodes declare cache:, also shows seed 001's view: per node whether a memoised result "
                        + "is available ([*] available, [ ] n/a, [x] no cache) and whether a job would run it ((H) head, (>) will run, "
                        + "( ) no run required). Give the job's --input values (and --param, --refresh, --no-cache) to see what a job "
                        + "with them would take from the cache."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:plan shown (missing inputs are reported, not an error)", "1:invalid pipeline, unknown outputs or inputs, or the server refused",
                "2:usage error, unreadable file or server unreachable"})
public final class PlanCommand extends ServerCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The pipeline file (YAML or JSON).")
    String file;

    @Option(names = "--pipeline", paramLabel = "ID", description = "Plan a pipeline stored on the server instead of a file.")
    String pipeline;

    @Option(names = "--outputs", paramLabel = "NODE", split = ",", description = "Wanted outputs (default: every output).")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--available", paramLabel = "NODE", split = ",",
            description = "Job inputs that will be given a value (inputs with a source always count as available).")
    List<String> available = new ArrayList<>();

    @Option(names = "--input", paramLabel = "NODE=@PATH|NODE=VALUE",
            description = "A job input value (with --pipeline): the plan then says which memoised results a job with it would take. Repeatable.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "A parameter value (with --pipeline). Repeatable.")
    List<String> params = new ArrayList<>();

    @Option(names = "--no-cache", description = "Plan a job that takes no memoised result (with --pipeline).")
    boolean noCache;

    @Option(names = "--refresh", paramLabel = "NODE", split = ",", description = "Plan a job that runs these nodes regardless (with --pipeline).")
    List<String> refresh = new ArrayList<>();

    @Option(names = "--json", description = "Print the plan as JSON (the same document as GET /api/v1/pipelines/{id}/plan).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        JsonNode plan;
        String name;
        if ((file == null) == (pipeline == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either FILE or --pipeline ID");
        }
        if (file != null) {
            PipelineGraph graph = planned(file, outputs, available);
            plan = ApiClient.JSON.valueToTree(PlanView.of(graph, outputs, available));
            name = graph.pipeline().name() != null ? graph.pipeline().name() : file;
        } else if (inputs.isEmpty() && params.isEmpty() && !noCache && refresh.isEmpty()) {
            plan = client().getJson(planPath(pipeline, outputs, available), "plan of pipeline " + pipeline);
            name = pipeline;
        } else {
            // with values: POST, so the server can tell which memoised results their digests find
            java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
            if (!params.isEmpty()) {
                body.put("parameters", JobArgs.parameters(params, SubmitCommand.declared(client(), pipeline, null)));
            }
            if (!inputs.isEmpty()) {
                body.put("inputs", JobArgs.inputs(inputs));
            }
            if (!outputs.isEmpty()) {
                body.put("outputs", outputs);
            }
            if (!available.isEmpty()) {
                body.put("available", available);
            }
            if (noCache) {
                body.put("cache", false);
            }
            if (!refresh.isEmpty()) {
                body.put("refresh", refresh);
            }
            plan = ApiClient.expect(client().postJson(PipelinesCommand.path(pipeline) + "/plan", body), "plan of pipeline " + pipeline);
            name = pipeline;
        }
        Output.show(out(), json, plan, p -> render(name, p));
        return 0;
    }

    /**
     * The graph of the pipeline in a local {@code file}, checked for a plan of {@code outputs} from
     * {@code available}: an invalid pipeline, or outputs and inputs it does not have, fail naming the file.
     */
    static PipelineGraph planned(String file, List<String> outputs, List<String> available) {
        PipelineGraph graph = new PipelineGraph(PipelineFiles.parseValid(file, PipelineFiles.read(Path.of(file), file)));
        List<Problem> problems = PlanView.check(graph, outputs, available);
        if (!problems.isEmpty()) {
            throw PipelineFiles.invalid(file, problems);
        }
        return graph;
    }

    static String planPath(String pipeline, List<String> outputs, List<String> available) {
        StringBuilder path = new StringBuilder(PipelinesCommand.path(pipeline)).append("/plan");
        query(path, "outputs", outputs);
        query(path, "available", available);
        return path.toString();
    }

    static void query(StringBuilder path, String name, List<String> values) {
        if (!values.isEmpty()) {
            path.append(path.indexOf("?") < 0 ? '?' : '&').append(name).append('=').append(ApiClient.encode(String.join(",", values)));
        }
    }

    /** A node of the plan and its place in the order of those that run ("-" when pruned). */
    private record Step(String number, JsonNode node) {
    }

    private static final Table<Step> STEPS = new Table<Step>()
            .column("#", Step::number)
            .column("NODE", s -> s.node().path("node").asText())
            .column("STATUS", s -> s.node().path("status").asText())
            .column("PROCESSOR", s -> s.node().path("processor").asText(""))
            .column("POOL", s -> s.node().path("pool").asText(""))
            .column("READS", s -> String.join(",", texts(s.node().path("inputs"))))
            .column("WRITES", s -> String.join(",", texts(s.node().path("outputs"))))
            .column("MISSING", s -> String.join(",", texts(s.node().path("missing"))));

    /** The plan as a table in execution order, then the job inputs and what is missing. */
    static String render(String name, JsonNode plan) {
        StringBuilder sb = new StringBuilder();
        List<String> wanted = texts(plan.path("outputs"));
        sb.append("Execution plan of ").append(name).append(" for ")
                .append(wanted.isEmpty() ? "every output" : "outputs " + String.join(", ", wanted)).append(": ")
                .append(plan.path("run").size()).append(" to run, ").append(plan.path("pruned").size()).append(" pruned");
        int missingCount = 0;
        for (JsonNode m : plan.path("missing")) {
            missingCount += m.size();
        }
        if (missingCount > 0) {
            sb.append(", ").append(missingCount).append(" missing input").append(missingCount == 1 ? "" : "s");
        }
        sb.append("\n\n");
        List<Step> steps = new ArrayList<>();
        int n = 0;
        for (JsonNode step : plan.path("nodes")) {
            boolean runs = PlanView.RUN.equals(step.path("status").asText());
            steps.add(new Step(runs ? Integer.toString(++n) : "-", step));
        }
        sb.append(STEPS.render(steps));
        List<String> inputs = texts(plan.path("jobInputs"));
        if (!inputs.isEmpty()) {
            List<String> have = texts(plan.path("available"));
            List<String> described = new ArrayList<>();
            for (String in : inputs) {
                described.add(in + (have.contains(in) ? "" : " (MISSING)"));
            }
            sb.append("\njob inputs: ").append(String.join(", ", described)).append('\n');
        }
        if (missingCount > 0) {
            sb.append("not runnable as it stands: give the missing inputs a value (--available to plan with them)\n");
        }
        for (String note : texts(plan.path("notes"))) {
            sb.append("note: ").append(note).append('\n');
        }
        JsonNode cache = plan.path("cache");
        if (cache.isObject()) {
            sb.append('\n').append(cacheView(cache));
        }
        return sb.toString();
    }

    /**
     * Seed 001's view of the plan: the legend, then one line per node in execution order, its result
     * availability ({@code [*]} available, {@code [ ]} n/a, {@code [x]} no cache) and what a job does
     * with it ({@code (H)} head, {@code (>)} will run, {@code ( )} no run required).
     */
    static String cacheView(JsonNode cache) {
        StringBuilder sb = new StringBuilder("Execution plan. Result availability: [*] available - [ ] n/a - [x] no cache.\n")
                .append("                Scheduled execution: (H) head - (>) will run - ( ) no run required.\n");
        for (JsonNode n : cache.path("nodes")) {
            sb.append(' ').append(n.path("marks").asText()).append(' ').append(n.path("node").asText());
            if (n.hasNonNull("cached_from")) {
                sb.append("  (result of job ").append(n.path("cached_from").asText()).append(')');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }
}
