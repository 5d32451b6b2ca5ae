package dev.pipewright.cli;

import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Reading pipeline files, describing them and sending them, shared by the commands that take a local FILE. */
final class PipelineFiles {
    private PipelineFiles() {
    }

    /** The file's text; a missing or unreadable file is a usage error (exit 2). */
    static String read(Path file, String shownAs) {
        return new String(readBytes(file, shownAs), StandardCharsets.UTF_8);
    }

    static byte[] readBytes(Path file, String shownAs) {
        if (Files.isDirectory(file)) {
            throw CliException.usage(shownAs + ": is a directory, not a file");
        }
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw CliException.usage(shownAs + ": no such file");
        } catch (AccessDeniedException e) {
            throw CliException.usage(shownAs + ": permission denied");
        } catch (IOException e) {
            throw CliException.usage(shownAs + ": cannot read: " + e.getMessage());
        }
    }

    static PipelineParser.Result parse(String text) {
        return new PipelineParser().parse(text);
    }

    static String problemLine(String shownAs, Problem p) {
        return shownAs + ": " + p.path() + ": " + p.message();
    }

    /**
     * The pipeline of {@code file}'s text; when it has problems, a failure (exit 1) listing each
     * with the file's name, checked here so that they name the file (the server checks again).
     */
    static Pipeline parseValid(String file, String text) {
        PipelineParser.Result r = parse(text);
        if (!r.valid()) {
            throw invalid(file, r.problems());
        }
        return r.pipeline();
    }

    /** A failure (exit 1) with a line {@code file: path: message} for each problem. */
    static CliException invalid(String file, List<Problem> problems) {
        StringBuilder sb = new StringBuilder();
        for (Problem p : problems) {
            sb.append(sb.isEmpty() ? "" : "\n").append(problemLine(file, p));
        }
        return CliException.failure(sb.toString());
    }

    /**
     * {@code POST /api/v1/pipelines?name=ID} with the file's text: as JSON when the file is written
     * so (its name ends in .json, or its text starts with '{'), else as YAML. The answer as it came.
     */
    static ApiClient.Response register(ApiClient client, String id, String file, String text) {
        boolean jsonText = file.toLowerCase(Locale.ROOT).endsWith(".json") || text.stripLeading().startsWith("{");
        return client.post("/api/v1/pipelines?name=" + ApiClient.encode(id),
                jsonText ? "application/json" : "application/yaml", text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code N process nodes, M data nodes; job inputs: [..]}. */
    static String summary(Pipeline pipeline) {
        List<String> inputs = new PipelineGraph(pipeline).plan(java.util.Set.of(), java.util.Set.of()).jobInputs();
        return pipeline.processNodes().size() + " process nodes, " + pipeline.dataNodes().size()
                + " data nodes; job inputs: " + inputs;
    }
}
