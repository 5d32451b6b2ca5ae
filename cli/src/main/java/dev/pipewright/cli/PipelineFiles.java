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

/** Reading pipeline files and describing them, shared by {@code validate} and {@code run}. */
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

    /** {@code N process nodes, M data nodes; job inputs: [..]}. */
    static String summary(Pipeline pipeline) {
        List<String> inputs = new PipelineGraph(pipeline).plan(java.util.Set.of(), java.util.Set.of()).jobInputs();
        return pipeline.processNodes().size() + " process nodes, " + pipeline.dataNodes().size()
                + " data nodes; job inputs: " + inputs;
    }
}
