package dev.pipewright.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/** The repository's files, read as text or parsed: the tests check deployment files against the code this way. */
final class Repo {
    static final Path ROOT = root();
    static final Path DEPLOY = ROOT.resolve("deploy");

    static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Repo() {
    }

    private static Path root() {
        String prop = System.getProperty("pipewright.root");
        Path start = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("overseer"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root from " + start);
    }

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static String read(String relative) {
        return read(path(relative));
    }

    static String read(Path file) {
        if (!Files.isRegularFile(file)) {
            fail("missing file: " + ROOT.relativize(file.toAbsolutePath().normalize()));
        }
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One YAML document; fails the test with the file name when it does not parse. */
    static JsonNode yaml(String relative) {
        List<JsonNode> docs = yamlDocuments(path(relative));
        if (docs.size() != 1) {
            fail(relative + ": expected one YAML document, found " + docs.size());
        }
        return docs.get(0);
    }

    /** Every non-empty document of a (possibly multi-document) YAML file. */
    static List<JsonNode> yamlDocuments(Path file) {
        String text = read(file);
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
            while (it.hasNextValue()) {
                JsonNode doc = it.nextValue();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(ROOT.relativize(file) + " does not parse as YAML: " + e.getMessage());
        }
        return docs;
    }

    static JsonNode json(String relative) {
        try {
            return JSON.readTree(read(relative));
        } catch (IOException e) {
            return fail(relative + " does not parse as JSON: " + e.getMessage());
        }
    }

    /** Files under a directory (recursively) whose names end with one of the suffixes, skipping build output. */
    static List<Path> files(Path dir, String... suffixes) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> !ROOT.relativize(p).toString().contains("target/"))
                    .filter(p -> {
                        String n = p.getFileName().toString();
                        for (String suffix : suffixes) {
                            if (n.endsWith(suffix)) {
                                return true;
                            }
                        }
                        return false;
                    })
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The main (non-test) Java sources of the given modules. */
    static List<Path> mainSources(String... modules) {
        List<Path> out = new ArrayList<>();
        for (String m : modules) {
            Path dir = path(m + "/src/main/java");
            if (Files.isDirectory(dir)) {
                out.addAll(files(dir, ".java"));
            }
        }
        return out;
    }

    static String text(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node.asText();
    }

    /** Asserts that a list of problems is empty, printing all of them at once. */
    static void noProblems(String what, Collection<String> problems) {
        if (!problems.isEmpty()) {
            fail(what + ":\n  - " + String.join("\n  - ", problems));
        }
    }
}
