package dev.pipewright.cli;

import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Problem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code pipewright validate FILE}: offline check of a pipeline file. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a pipeline file (YAML or JSON) offline and print every problem.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:valid", "1:the pipeline has problems", "2:usage error or unreadable file"})
public final class ValidateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The pipeline file.")
    String file;

    @picocli.CommandLine.Option(names = "--json",
            description = "Print {file, valid, summary, problems: [{path, message}]} as JSON (the same shape as POST /api/v1/pipelines/validate, plus file and summary).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String text = PipelineFiles.read(Path.of(file), file);
        PipelineParser.Result result = PipelineFiles.parse(text);
        if (json) {
            java.util.Map<String, Object> answer = new java.util.LinkedHashMap<>();
            answer.put("file", file);
            answer.put("valid", result.valid());
            answer.put("summary", result.valid() ? PipelineFiles.summary(result.pipeline()) : null);
            java.util.List<java.util.Map<String, String>> problems = new java.util.ArrayList<>();
            for (Problem p : result.problems()) {
                problems.add(java.util.Map.of("path", p.path(), "message", p.message()));
            }
            answer.put("problems", problems);
            Output.json(out, ApiClient.JSON.valueToTree(answer));
            return result.valid() ? 0 : CliException.FAILURE;
        }
        if (!result.valid()) {
            for (Problem p : result.problems()) {
                out.println(PipelineFiles.problemLine(file, p));
            }
            out.flush();
            return CliException.FAILURE;
        }
        out.println(file + ": valid (" + PipelineFiles.summary(result.pipeline()) + ")");
        out.flush();
        return 0;
    }
}
