package dev.pipewright.cli;

import dev.pipewright.protocol.pipeline.Pipeline;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** How {@code run} and {@code pipelines create} name the pipeline they register. */
public final class PipelineNames {
    static final int MAX = 128;

    private PipelineNames() {
    }

    /** {@code --name} of the commands that register a local pipeline file, and the id it gives. */
    static final class NameOption {
        @Option(names = "--name", paramLabel = "NAME",
                description = "Pipeline id (default: the pipeline's name, else its directory for pipeline.yaml, else the file name).")
        String name;

        /** The id to register {@code pipeline}, read from {@code file}, under (see {@link #derive}). */
        String id(Pipeline pipeline, String file) {
            return derive(name, pipeline.name(), Path.of(file));
        }
    }

    /**
     * {@code --name}, else the pipeline's own {@code name}, else the parent directory's name when
     * the file is {@code pipeline.yaml}, {@code pipeline.yml} or {@code pipeline.json}, else the
     * file's base name (without its extension); always {@link #sanitize sanitized}.
     */
    public static String derive(String explicitName, String pipelineName, Path file) {
        if (explicitName != null && !explicitName.isBlank()) {
            return sanitize(explicitName);
        }
        if (pipelineName != null && !pipelineName.isBlank()) {
            return sanitize(pipelineName);
        }
        Path abs = file.toAbsolutePath().normalize();
        Path fileName = abs.getFileName();
        String base = fileName == null ? "" : fileName.toString();
        String lower = base.toLowerCase(java.util.Locale.ROOT);
        if (lower.equals("pipeline.yaml") || lower.equals("pipeline.yml") || lower.equals("pipeline.json")) {
            Path parent = abs.getParent();
            if (parent != null && parent.getFileName() != null) {
                return sanitize(parent.getFileName().toString());
            }
        }
        int dot = base.lastIndexOf('.');
        return sanitize(dot > 0 ? base.substring(0, dot) : base);
    }

    /**
     * Replaces every character outside {@code [A-Za-z0-9_.-]} by {@code _}, prefixes {@code _}
     * when the name does not start with a letter or {@code _} (the server's rule), and cuts it to
     * 128 characters.
     */
    public static String sanitize(String name) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == '-';
            sb.append(ok ? c : '_');
        }
        if (sb.isEmpty()) {
            return "pipeline";
        }
        char first = sb.charAt(0);
        if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z') || first == '_')) {
            sb.insert(0, '_');
        }
        return sb.length() > MAX ? sb.substring(0, MAX) : sb.toString();
    }
}
