package dev.pipewright.worker.exec;

import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.worker.processor.ProcessorRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** examples/processors.yaml and the example pipelines fit together; bad registry files are refused. */
class ExecRegistryFileTest {
    private static final Set<String> PASTA_STEPS = Set.of("boil_water", "brown_onions", "cut_tomatoes", "pour_tomatoes", "salt",
            "pour_pasta", "pick_basil", "pan_fry");
    private static final Set<String> DOCUMENT_MODULES = Set.of("extract_page", "clean_text", "tokenize", "word_stats",
            "detect_language", "summarize", "report");
    static Path examples;

    @BeforeAll
    static void setUp() {
        examples = ExecProcessorTest.findExamples();
    }

    static Map<String, ExecCommand> registry() {
        return ExecRegistryFile.read(examples.resolve("processors.yaml")).stream()
                .collect(Collectors.toMap(ExecCommand::name, c -> c, (a, b) -> a, TreeMap::new));
    }

    @Test
    void examplesRegistryParsesAndPointsAtExistingScripts() throws IOException {
        Map<String, ExecCommand> commands = registry();
        Set<String> expected = new TreeSet<>(DOCUMENT_MODULES);
        expected.add("merge_split");
        expected.addAll(PASTA_STEPS);
        assertEquals(expected, commands.keySet());
        for (ExecCommand c : commands.values()) {
            assertEquals("python3", c.argv().get(0), c.name());
            // the pasta steps are one script, told which step to take
            assertEquals(PASTA_STEPS.contains(c.name()) ? List.of("python3", "pasta/kitchen.py", c.name()) : c.argv().subList(0, 2),
                    c.argv(), c.name());
            assertEquals(examples.toRealPath(), c.workdir().toRealPath(), c.name() + ": workdir defaults to the file's directory");
            Path script = c.workdir().resolve(c.argv().get(1));
            assertTrue(Files.isRegularFile(script), c.name() + ": " + script + " exists");
            assertEquals(Set.of(2), c.permanentExitCodes(), c.name());
            assertEquals(Duration.ofMinutes(1), c.timeout(), c.name());
            assertEquals("1", c.env().get("PYTHONDONTWRITEBYTECODE"), c.name());
            assertEquals("C.UTF-8", c.env().get("LANG"), c.name());
        }
    }

    @Test
    void examplePipelinesAreValidAndUseOnlyKnownProcessors() throws IOException {
        Set<String> builtIns = new HashSet<>(ProcessorRegistry.builtIns().names());
        Set<String> registered = registry().keySet();
        Set<String> usedExec = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(examples)) {
            files = s.map(d -> d.resolve("pipeline.yaml")).filter(Files::isRegularFile).sorted().toList();
        }
        assertEquals(List.of("branch", "diamond", "documents", "hello", "multi-io", "pasta", "sales"),
                files.stream().map(f -> f.getParent().getFileName().toString()).toList());
        for (Path file : files) {
            PipelineParser.Result result = new PipelineParser().parse(Files.readString(file));
            assertTrue(result.valid(), file + ": " + result.problems());
            Pipeline p = result.pipeline();
            assertEquals(file.getParent().getFileName().toString(), p.name(), file + ": name matches the directory");
            Set<String> produced = new HashSet<>();
            for (ProcessNode node : p.processNodes().values()) {
                produced.addAll(node.output());
                // an uploaded module: the example's run script uploads modules/<name>.py (examples/sales)
                boolean uploaded = !registered.contains(node.processor())
                        && Files.isRegularFile(file.getParent().resolve("modules").resolve(node.processor() + ".py"));
                assertTrue(builtIns.contains(node.processor()) || registered.contains(node.processor()) || uploaded,
                        file + ": processor '" + node.processor() + "' of " + node.name()
                                + " is neither built in, nor registered, nor a module in the example's modules/");
                if (!builtIns.contains(node.processor()) && !uploaded) {
                    usedExec.add(node.processor());
                }
            }
            for (DataNode d : p.dataNodes().values()) {
                if (!produced.contains(d.name()) && d.source() != null && !d.source().contains("${")) {
                    assertTrue(Files.isRegularFile(examples.resolve("data").resolve(d.source())),
                            file + ": job input " + d.name() + " reads examples/data/" + d.source() + ", which must exist");
                }
            }
        }
        assertEquals(registered, usedExec, "every registered processor is used by an example");
    }

    @Test
    void examplePipelinesReadTheirDataFromTheDataDir() throws IOException {
        assertEquals("Hello", Files.readString(examples.resolve("data/shared/hello/greeting.txt")), "no trailing newline");
        assertEquals("world", Files.readString(examples.resolve("data/shared/hello/audience.txt")), "no trailing newline");
        Pipeline documents = new PipelineParser().parse(Files.readString(examples.resolve("documents/pipeline.yaml"))).pipeline();
        assertNotNull(documents);
        assertEquals("shared/documents/${document_id}.txt", documents.dataNodes().get("document").source());
        assertEquals("out/documents/${document_id}-p${page_num}.json", documents.dataNodes().get("report").source());
        assertTrue(documents.parameters().get("document_id").required());
        assertEquals(0, ((Number) documents.parameters().get("page_num").defaultValue()).intValue());
        for (String id : List.of("D0", "D1")) {
            assertTrue(Files.isRegularFile(examples.resolve("data/shared/documents/" + id + ".txt")), id);
        }
        assertEquals(Map.of("max_words", 40), documents.processNodes().get("summarize").config());
    }

    @Test
    void relativeWorkdirResolvesFromTheFilesDirectory(@TempDir Path dir) throws IOException {
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("processors.yaml"), """
                processors:
                  here:
                    command: [python3, modules/a.py]
                  below:
                    command: [python3, a.py]
                    workdir: modules
                  above:
                    command: [./run.sh]
                    workdir: ../bin
                    env: {LANG: C.UTF-8}
                    timeout: 30s
                    permanentExitCodes: [2, 64]
                """);
        Map<String, ExecCommand> commands = ExecRegistryFile.read(conf.resolve("processors.yaml")).stream()
                .collect(Collectors.toMap(ExecCommand::name, c -> c));
        assertEquals(conf.toAbsolutePath(), commands.get("here").workdir());
        assertEquals(conf.resolve("modules").toAbsolutePath(), commands.get("below").workdir());
        ExecCommand above = commands.get("above");
        assertEquals(dir.resolve("bin").toAbsolutePath().normalize(), above.workdir());
        assertEquals(List.of("./run.sh"), above.argv());
        assertEquals(Map.of("LANG", "C.UTF-8"), above.env());
        assertEquals(Duration.ofSeconds(30), above.timeout());
        assertEquals(Set.of(2, 64), above.permanentExitCodes());
        assertEquals(null, commands.get("here").timeout());
        assertTrue(commands.get("here").permanentExitCodes().isEmpty());
    }

    @Test
    void exitCodesMapToRetryableOrFinalFailures(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("processors.yaml"), """
                processors:
                  any: {command: [a]}
                  deny: {command: [a], permanentExitCodes: [2]}
                  allow: {command: [a], retryableExitCodes: [75], permanentExitCodes: [2]}
                """);
        Map<String, ExecCommand> commands = ExecRegistryFile.read(dir.resolve("processors.yaml")).stream()
                .collect(Collectors.toMap(ExecCommand::name, c -> c));
        assertTrue(commands.get("any").retryable(1) && commands.get("any").retryable(2), "by default every exit code is retryable");
        assertFalse(commands.get("deny").retryable(2));
        assertTrue(commands.get("deny").retryable(75));
        assertEquals(Set.of(75), commands.get("allow").retryableExitCodes());
        assertTrue(commands.get("allow").retryable(75));
        assertFalse(commands.get("allow").retryable(1), "with retryableExitCodes, unlisted codes are final");
        assertFalse(commands.get("allow").retryable(2));
    }

    @Test
    void refusesContradictoryOrOutOfRangeExitCodes(@TempDir Path dir) throws IOException {
        String both = refused(dir, "processors:\n  p:\n    command: [a]\n    permanentExitCodes: [2]\n    retryableExitCodes: [2, 75]\n");
        assertTrue(both.contains("processors.p") && both.contains("exit code 2"), both);
        assertTrue(refused(dir, "processors:\n  p:\n    command: [a]\n    retryableExitCodes: [256]\n").contains("retryableExitCodes"));
        assertTrue(refused(dir, "processors:\n  p:\n    command: [a]\n    retryableExitCodes: 75\n").contains("retryableExitCodes"));
    }

    @Test
    void refusesAMissingCommand(@TempDir Path dir) throws IOException {
        String message = refused(dir, """
                processors:
                  broken:
                    workdir: .
                """);
        assertTrue(message.contains("processors.broken.command"), message);
    }

    @Test
    void refusesAnEmptyOrShellLineCommand(@TempDir Path dir) throws IOException {
        assertTrue(refused(dir, "processors:\n  broken:\n    command: []\n").contains("processors.broken.command"));
        assertTrue(refused(dir, "processors:\n  broken:\n    command: python3 x.py\n").contains("processors.broken.command"),
                "a shell line is not an argv list");
    }

    @Test
    void refusesAnUnknownField(@TempDir Path dir) throws IOException {
        String message = refused(dir, """
                processors:
                  typo:
                    command: [python3, a.py]
                    permanentExitCode: [2]
                """);
        assertTrue(message.contains("processors.typo.permanentExitCode"), message);
        assertTrue(message.contains("unknown field"), message);
    }

    @Test
    void refusesBadValuesAndShapes(@TempDir Path dir) throws IOException {
        assertTrue(refused(dir, "processors:\n  p:\n    command: [a]\n    timeout: soon\n").contains("timeout"));
        assertTrue(refused(dir, "processors:\n  p:\n    command: [a]\n    permanentExitCodes: [two]\n").contains("permanentExitCodes"));
        assertTrue(refused(dir, "processors:\n  'bad name!':\n    command: [a]\n").contains("bad processor name"));
        assertTrue(refused(dir, "commands:\n  p:\n    command: [a]\n").contains("processors"));
        assertFalse(refused(dir, "processors:\n  p: &x\n    command: [a]\n  q: *x\n").isEmpty(), "aliases are refused");
    }

    @Test
    void refusesAMissingFile(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExecRegistryFile.read(dir.resolve("nope.yaml")));
        assertTrue(e.getMessage().contains("nope.yaml"), e.getMessage());
    }

    private static String refused(Path dir, String text) throws IOException {
        Path file = Files.writeString(dir.resolve("processors.yaml"), text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExecRegistryFile.read(file));
        return e.getMessage();
    }
}
