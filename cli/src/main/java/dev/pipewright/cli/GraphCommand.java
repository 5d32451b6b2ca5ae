package dev.pipewright.cli;

import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.render.GraphFormat;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.render.GraphRenderer;
import dev.pipewright.render.GraphTooLargeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code pipewright graph FILE}: draws a pipeline (or a stored pipeline, or a job coloured by task state). */
@Command(name = "graph", mixinStandardHelpOptions = true,
        description = {"Draw a pipeline's graph as Graphviz DOT, Mermaid or SVG: data nodes as ellipses, process nodes as boxes.",
                "Reads a local FILE, a stored pipeline (--pipeline) or a job (--job, coloured by task status) from the server.",
                "With --outputs or --available the drawing is marked with the plan: pruned nodes greyed, missing inputs in red."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:drawn", "1:invalid pipeline, unknown nodes, graph too large for SVG, or the server refused",
                "2:usage error, unreadable file or server unreachable"})
public final class GraphCommand extends ServerCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The pipeline file (YAML or JSON).")
    String file;

    @Option(names = "--pipeline", paramLabel = "ID", description = "Draw a pipeline stored on the server.")
    String pipeline;

    @Option(names = "--job", paramLabel = "JOB", description = "Draw a job from the server, its tasks coloured by status.")
    String job;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT",
            description = "dot, mermaid or svg (default: from the -o file's extension, else dot).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the drawing to FILE instead of standard output.")
    Path output;

    @Option(names = "--outputs", paramLabel = "NODE", split = ",", description = "Mark the plan for these wanted outputs.")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--available", paramLabel = "NODE", split = ",", description = "Mark the plan with these job inputs given.")
    List<String> available = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        int sources = (file != null ? 1 : 0) + (pipeline != null ? 1 : 0) + (job != null ? 1 : 0);
        if (sources != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of FILE, --pipeline ID or --job JOB");
        }
        if (job != null && !(outputs.isEmpty() && available.isEmpty())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--outputs and --available mark a pipeline's plan; a job has its own");
        }
        GraphFormat fmt = format();
        String text;
        if (file != null) {
            PipelineGraph graph = PlanCommand.planned(file, outputs, available);
            String title = graph.pipeline().name() != null ? graph.pipeline().name() : Path.of(file).getFileName().toString();
            GraphView view = outputs.isEmpty() && available.isEmpty() ? GraphView.of(title, graph)
                    : GraphView.of(title, graph, PlanView.of(graph, outputs, available).toPlan(), Map.of());
            try {
                text = GraphRenderer.render(view, fmt);
            } catch (GraphTooLargeException e) {
                throw CliException.failure(e.getMessage());
            }
        } else {
            StringBuilder path = new StringBuilder(job != null ? Jobs.path(job) : PipelinesCommand.path(pipeline));
            path.append("/graph?format=").append(fmt.id());
            PlanCommand.query(path, "outputs", outputs);
            PlanCommand.query(path, "available", available);
            ApiClient.Response r = client().get(path.toString());
            if (!r.ok()) {
                throw ApiClient.refusedWithProblems(r, job != null ? "job " + job : "pipeline " + pipeline);
            }
            text = r.text();
        }
        if (output != null) {
            try {
                Files.writeString(output, text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw CliException.usage(output + ": cannot write: " + e.getMessage());
            }
            PrintWriter err = err();
            err.println("wrote " + output + " (" + fmt.id() + ")");
            err.flush();
        } else {
            PrintWriter out = out();
            out.print(text);
            out.flush();
        }
        return 0;
    }

    private GraphFormat format() {
        if (format != null) {
            GraphFormat f = GraphFormat.parse(format);
            if (f == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "unknown format '" + format + "'; expected one of " + GraphFormat.names());
            }
            return f;
        }
        if (output != null) {
            String name = output.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".svg")) {
                return GraphFormat.SVG;
            }
            if (name.endsWith(".mmd") || name.endsWith(".mermaid")) {
                return GraphFormat.MERMAID;
            }
        }
        return GraphFormat.DOT;
    }
}
