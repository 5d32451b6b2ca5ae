package dev.pipewright.protocol.parse;

import dev.pipewright.protocol.pipeline.Backoff;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.ParamType;
import dev.pipewright.protocol.pipeline.Parameter;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.pipeline.Requirement;
import dev.pipewright.protocol.pipeline.RetryPolicy;
import dev.pipewright.protocol.pipeline.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Named.named;

class PipelineParserTest {
    private static final Duration GENEROUS = Duration.ofSeconds(10);
    private static final int DEEP = 10_000;

    private final PipelineParser parser = new PipelineParser();

    // ------------------------------------------------------------------ helpers

    /** Fails with every problem listed unless one has exactly {@code path} and a message containing {@code word}. */
    static void assertProblem(PipelineParser.Result result, String path, String word) {
        assertFalse(result.valid(), "expected problems, the document was accepted");
        assertNull(result.pipeline(), "no pipeline is returned when there are problems");
        boolean found = result.problems().stream()
                .anyMatch(p -> p.path().equals(path) && p.message().toLowerCase().contains(word.toLowerCase()));
        if (!found) {
            fail("no problem at '" + path + "' mentioning '" + word + "'; got:\n  "
                    + result.problems().stream().map(Problem::toString).collect(Collectors.joining("\n  ")));
        }
    }

    private PipelineParser.Result assertValid(String text) {
        PipelineParser.Result result = parser.parse(text);
        assertTrue(result.valid(), () -> "unexpected problems: " + result.problems());
        assertNotNull(result.pipeline());
        return result;
    }

    /** The classic "billion laughs": nine levels, each a list of ten aliases of the level below. */
    static String lolBomb() {
        StringBuilder sb = new StringBuilder("lol1: &lol1 \"lol\"\n");
        for (int level = 2; level <= 9; level++) {
            sb.append("lol").append(level).append(": &lol").append(level).append(" [");
            for (int i = 0; i < 10; i++) {
                sb.append(i == 0 ? "" : ", ").append("*lol").append(level - 1);
            }
            sb.append("]\n");
        }
        return sb.append("dataNodes: {d1: *lol9}\n").toString();
    }

    static String deepJsonArrays() {
        return "[".repeat(DEEP) + "]".repeat(DEEP);
    }

    static String deepJsonObjects() {
        return "{\"a\":".repeat(DEEP) + "1" + "}".repeat(DEEP);
    }

    static String deepYamlFlowSequences() {
        return "dataNodes:\n  d1: " + "[".repeat(DEEP) + "]".repeat(DEEP) + "\n";
    }

    static String deepYamlFlowMappings() {
        return "dataNodes:\n  d1: " + "{a: ".repeat(DEEP) + "1" + "}".repeat(DEEP) + "\n";
    }

    /** Compact block sequences: "- - - x" nests one level per dash, so 10,000 levels fit on one line. */
    static String deepYamlBlockSequences() {
        return "- ".repeat(DEEP) + "x\n";
    }

    /** Block mappings indented one space per level (too big for 10,000 levels; 100 is well past the limit). */
    static String deepYamlBlockMappings() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            sb.append(" ".repeat(i)).append("k").append(i).append(":\n");
        }
        return sb.append(" ".repeat(100)).append("leaf\n").toString();
    }

    /** A document just over the default size limit. */
    static String overSizeLimit(boolean json) {
        String filler = "x".repeat(DocumentLimits.DEFAULT_MAX_CHARS + 1);
        return json ? "{\"description\": \"" + filler + "\"}" : "description: " + filler + "\n";
    }

    private static Arguments bad(String name, String document, String path, String word) {
        return Arguments.of(named(name, document), path, word);
    }

    // ------------------------------------------------------------------ malformed pipelines

    static Stream<Arguments> malformed() {
        return Stream.of(
                bad("unknown data node in input", """
                        dataNodes:
                          data1: {source: a.csv}
                          data2: {source: b.csv}
                          data4: {source: d.csv}
                        processNodes:
                          task1:
                            input: [data1, data2, data9]
                            output: [data4]
                            processor: my_module
                        """, "processNodes.task1.input[2]", "unknown data node 'data9'"),
                bad("unknown data node in output", """
                        dataNodes:
                          data1: {source: a.csv}
                          data4: {source: d.csv}
                        processNodes:
                          task1:
                            input: [data1]
                            output: [data4, data8]
                            processor: my_module
                        """, "processNodes.task1.output[1]", "unknown data node 'data8'"),
                bad("unknown data node in a JSON document", """
                        {"dataNodes": {"data1": {"source": "a.csv"}, "data2": {}},
                         "processNodes": {"task1": {"input": ["data1", "nope"], "output": ["data2"], "processor": "p"}}}
                        """, "processNodes.task1.input[1]", "unknown data node 'nope'"),
                bad("data node listed twice in input", """
                        dataNodes: {d1: {}, d2: {}}
                        processNodes:
                          t1: {input: [d1, d1], output: [d2], processor: p}
                        """, "processNodes.t1.input[1]", "listed twice"),
                bad("data node produced by two process nodes", """
                        dataNodes: {d1: {}, d2: {}, d3: {}}
                        processNodes:
                          t1: {input: [d1], output: [d2], processor: p}
                          t2: {input: [d1], output: [d2, d3], processor: p}
                        """, "processNodes.t2.output[0]", "already written by process node 't1'"),
                bad("cycle of two process nodes", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                          t2: {input: [b], output: [a], processor: p}
                        """, "processNodes.t1", "cycle: t1 -> t2 -> t1"),
                bad("cycle of three process nodes", """
                        dataNodes: {a: {}, b: {}, c: {}, start: {}}
                        processNodes:
                          t1: {input: [start, c], output: [a], processor: p}
                          t2: {input: [a], output: [b], processor: p}
                          t3: {input: [b], output: [c], processor: p}
                        """, "processNodes.t1", "cycle: t1 -> t2 -> t3 -> t1"),
                bad("self-loop: input is also output", """
                        dataNodes: {a: {}}
                        processNodes:
                          t1: {input: [a], output: [a], processor: p}
                        """, "processNodes.t1.output[0]", "both an input and an output"),
                bad("process node without output", """
                        dataNodes: {a: {}}
                        processNodes:
                          t1: {input: [a], processor: p}
                        """, "processNodes.t1.output", "missing"),
                bad("process node with an empty output list", """
                        dataNodes: {a: {}}
                        processNodes:
                          t1: {input: [a], output: [], processor: p}
                        """, "processNodes.t1.output", "at least one data node"),
                bad("missing processor", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b]}
                        """, "processNodes.t1.processor", "missing"),
                bad("processor is a bad name", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: "rm -rf /"}
                        """, "processNodes.t1.processor", "bad name"),
                bad("unknown field at top level", """
                        colour: blue
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "colour", "unknown field"),
                bad("unknown field in a process node", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p, retry: 3}
                        """, "processNodes.t1.retry", "unknown field"),
                bad("unknown field in a data node", """
                        dataNodes:
                          a: {source: in.csv, path: /tmp/in.csv}
                          b: {}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "dataNodes.a.path", "unknown field"),
                bad("process node name with a space", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          my task: {input: [a], output: [b], processor: p}
                        """, "processNodes.my task", "bad name 'my task'"),
                bad("data node name starting with a digit", """
                        dataNodes: {1data: {}, b: {}}
                        processNodes:
                          t1: {input: [1data], output: [b], processor: p}
                        """, "dataNodes.1data", "bad name '1data'"),
                bad("pipeline name with a slash", """
                        name: a/b
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "name", "bad name"),
                bad("input is a number", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: 42, output: [b], processor: p}
                        """, "processNodes.t1.input", "expected a list"),
                bad("input item is a number", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [7], output: [b], processor: p}
                        """, "processNodes.t1.input[0]", "expected a data node name"),
                bad("processNodes is a list", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          - {input: [a], output: [b], processor: p}
                        """, "processNodes", "expected a mapping"),
                bad("processNodes missing", """
                        dataNodes: {a: {}}
                        """, "processNodes", "missing"),
                bad("processNodes empty", """
                        dataNodes: {a: {}}
                        processNodes: {}
                        """, "processNodes", "at least one process node"),
                bad("dataNodes missing", """
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "dataNodes", "missing"),
                bad("data node body is a list", """
                        dataNodes: {a: [x.csv], b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "dataNodes.a", "expected a mapping"),
                bad("config is a list", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p, config: [1, 2]}
                        """, "processNodes.t1.config", "expected a mapping"),
                bad("timeout without a unit", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p, timeout: 30}
                        """, "processNodes.t1.timeout", "positive duration"),
                bad("bad duration 30x", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p, queueTimeout: 30x}
                        """, "processNodes.t1.queueTimeout", "'30x'"),
                bad("zero heartbeat", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p, heartbeat: 0s}
                        """, "processNodes.t1.heartbeat", "positive duration"),
                bad("bad deadline", """
                        deadline: soon
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "deadline", "'soon'"),
                bad("bad retention", """
                        retention: a week
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "retention", "'a week'"),
                bad("zero retention", """
                        retention: 0s
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "retention", "positive duration"),
                bad("retention past ten years", """
                        retention: 3651d
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "retention", "at most 3650d"),
                bad("retries as text", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p, retries: three}
                        """, "processNodes.t1.retries", "expected a number of retries"),
                bad("retries out of range", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p, retries: {max: 1000}}
                        """, "processNodes.t1.retries.max", "from 0 to 100"),
                bad("unknown back-off", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p, retries: {max: 2, backoff: random}}
                        """, "processNodes.t1.retries.backoff", "unknown back-off 'random'"),
                bad("parameter default of the wrong type", """
                        parameters:
                          count: {type: integer, default: many}
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "parameters.count.default", "expected a value of type integer"),
                bad("unknown parameter type (shorthand)", """
                        parameters:
                          when: date
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "parameters.when", "unknown type 'date'"),
                bad("unknown parameter type (mapping)", """
                        parameters:
                          when: {type: datetime}
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "parameters.when.type", "unknown type 'datetime'"),
                bad("bad cron schedule", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        schedule:
                          schedule_interval: "5 10 * *"
                        """, "schedule.schedule_interval", "five-field cron"),
                bad("bad cron schedule given as text", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        schedule: every day at ten
                        """, "schedule", "five-field cron"),
                bad("schedule given twice", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        schedule:
                          schedule_interval: "5 10 * * *"
                          cron: "0 4 * * *"
                        """, "schedule.cron", "not both"),
                bad("unknown timezone", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        schedule:
                          schedule_interval: "5 10 * * *"
                          timezone: Mars/Olympus_Mons
                        """, "schedule.timezone", "unknown time zone 'Mars/Olympus_Mons'"),
                bad("bad start date", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        schedule:
                          schedule_interval: "5 10 * * *"
                          start_date: "01/01/2022"
                        """, "schedule.start_date", "expected a date"),
                bad("requirement without a name", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        requirement:
                          - version: 1.5.3
                        """, "requirement[0].name", "missing"),
                bad("empty document", "", "$", "empty"),
                bad("blank document", "   \n\t\n", "$", "empty"),
                bad("document with only a comment", "# nothing here\n", "$", "empty"),
                bad("a list instead of a mapping", "- a\n- b\n", "$", "must be a mapping"),
                bad("a scalar instead of a mapping", "hello world\n", "$", "must be a mapping"),
                bad("a JSON array instead of an object", "[1, 2, 3]", "$", "must be a mapping"),
                bad("malformed YAML syntax", """
                        dataNodes:
                          a: {source: x.csv
                        processNodes: {}
                        """, "$", "invalid YAML"),
                bad("malformed JSON syntax", "{\"dataNodes\": {\"a\": {}},", "$", "line 1"),
                bad("tab indentation", "dataNodes:\n\ta: {}\n", "$", "invalid YAML"),
                bad("duplicate keys in YAML", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1:
                            input: [a]
                            output: [b]
                            processor: p
                            processor: q
                        """, "$", "duplicate field 'processor'"),
                bad("duplicate keys in JSON", """
                        {"dataNodes": {"a": {}, "b": {}, "a": {}},
                         "processNodes": {"t1": {"input": ["a"], "output": ["b"], "processor": "p"}}}
                        """, "$", "duplicate field 'a'"),
                bad("billion laughs (9-level lol bomb)", lolBomb(), "$", "anchors"),
                bad("alias without anchor", "dataNodes: *nodes\n", "$", "aliases"),
                bad("merge key with anchor", """
                        base: &base {processor: p}
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {<<: *base, input: [a], output: [b]}
                        """, "$", "anchors"),
                bad("tag !!python/object", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: !!python/object:os.system {input: [a], output: [b], processor: p}
                        """, "$", "tags"),
                bad("tag !!python/object/apply on a sequence", """
                        dataNodes: !!python/object/apply:os.system ["echo pwned"]
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "$", "tags"),
                bad("custom tag !foo", """
                        dataNodes: {a: {source: !foo bar}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        """, "$", "tags (!foo)"),
                bad("binary tag", "description: !!binary aGVsbG8=\n", "$", "tags"),
                bad("JSON nested 10,000 arrays deep", deepJsonArrays(), "$", "nesting"),
                bad("JSON nested 10,000 objects deep", deepJsonObjects(), "$", "nesting"),
                bad("YAML flow sequences 10,000 deep", deepYamlFlowSequences(), "$", "nesting"),
                bad("YAML flow mappings 10,000 deep", deepYamlFlowMappings(), "$", "nesting"),
                bad("YAML block sequences 10,000 deep", deepYamlBlockSequences(), "$", "nesting"),
                bad("YAML block mappings 100 deep", deepYamlBlockMappings(), "$", "nesting"),
                bad("YAML document over the size limit", overSizeLimit(false), "$", "characters"),
                bad("JSON document over the size limit", overSizeLimit(true), "$", "characters"),
                bad("multiple YAML documents", """
                        dataNodes: {a: {}, b: {}}
                        processNodes:
                          t1: {input: [a], output: [b], processor: p}
                        ---
                        dataNodes: {c: {}}
                        """, "$", "only one YAML document"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void reportsTheProblemAndItsLocation(String document, String path, String word) {
        PipelineParser.Result result = assertTimeoutPreemptively(GENEROUS, () -> parser.parse(document));
        assertProblem(result, path, word);
    }

    @Test
    void reportsSeveralProblemsAtOnce() {
        PipelineParser.Result result = parser.parse("""
                dataNodes:
                  d1: {source: in.csv}
                  d2: {source: out.csv}
                processNodes:
                  t1:
                    input: [d1, data9]
                    output: [d2]
                    timeout: 30x
                """);
        assertEquals(3, result.problems().size(), () -> "problems: " + result.problems());
        assertEquals(Set.of("processNodes.t1.input[1]", "processNodes.t1.processor", "processNodes.t1.timeout"),
                result.problems().stream().map(Problem::path).collect(Collectors.toSet()));
        assertProblem(result, "processNodes.t1.input[1]", "unknown data node 'data9'");
        assertProblem(result, "processNodes.t1.processor", "missing");
        assertProblem(result, "processNodes.t1.timeout", "'30x'");
    }

    @Test
    void reportsProblemsFromEverySectionTogether() {
        PipelineParser.Result result = parser.parse("""
                colour: blue
                parameters:
                  n: {type: integer, default: "x"}
                dataNodes:
                  1bad: {}
                  b: {}
                processNodes:
                  t1: {input: [1bad], output: [b], processor: p, retries: three}
                schedule: {schedule_interval: "* *", timezone: Nowhere/Town}
                """);
        assertProblem(result, "colour", "unknown field");
        assertProblem(result, "parameters.n.default", "type integer");
        assertProblem(result, "dataNodes.1bad", "bad name");
        assertProblem(result, "processNodes.t1.retries", "retries");
        assertProblem(result, "schedule.schedule_interval", "cron");
        assertProblem(result, "schedule.timezone", "unknown time zone");
        assertProblem(result, "dataNodes.1bad", "job input without a source"); // a scheduled job could not start
        assertEquals(7, result.problems().size(), () -> "problems: " + result.problems());
    }

    @Test
    void syntaxErrorsCarryLineAndColumn() {
        PipelineParser.Result result = parser.parse("""
                dataNodes:
                  a: {}
                processNodes:
                  t1: [unclosed
                """);
        assertEquals(1, result.problems().size());
        assertTrue(result.problems().get(0).message().matches("line \\d+, column \\d+: .*"), result.problems().toString());
    }

    @Test
    void billionLaughsIsRefusedQuickly() {
        PipelineParser.Result result = assertTimeoutPreemptively(GENEROUS, () -> parser.parse(lolBomb()));
        assertEquals(1, result.problems().size());
        assertProblem(result, "$", "anchors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"json-arrays", "json-objects", "yaml-flow-seq", "yaml-flow-map", "yaml-block-seq"})
    void deepNestingIsRefusedWithoutStackOverflow(String kind) {
        String document = switch (kind) {
            case "json-arrays" -> deepJsonArrays();
            case "json-objects" -> deepJsonObjects();
            case "yaml-flow-seq" -> deepYamlFlowSequences();
            case "yaml-flow-map" -> deepYamlFlowMappings();
            default -> deepYamlBlockSequences();
        };
        PipelineParser.Result result = assertTimeoutPreemptively(GENEROUS, () -> parser.parse(document));
        assertEquals(1, result.problems().size(), () -> "problems: " + result.problems());
        assertProblem(result, "$", "nesting");
    }

    @Test
    void aDocumentOverTheSizeLimitIsRefused() {
        PipelineParser.Result result = parser.parse(overSizeLimit(false));
        assertEquals(List.of("$"), result.problems().stream().map(Problem::path).toList());
        assertTrue(result.problems().get(0).message().contains(String.valueOf(DocumentLimits.DEFAULT_MAX_CHARS)));
    }

    @Test
    void customLimitsApply() {
        PipelineParser small = new PipelineParser(new DocumentLimits(10_000, 4, 1_000));
        String deepConfig = """
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p, config: {x: {y: 1}}}
                """;
        assertProblem(small.parse(deepConfig), "$", "nesting");
        assertTrue(parser.parse(deepConfig).valid());
        assertProblem(small.parse("description: " + "x".repeat(10_001)), "$", "characters");
        StringBuilder many = new StringBuilder("description: [");
        for (int i = 0; i < 1_000; i++) {
            many.append(i == 0 ? "" : ",").append(i);
        }
        assertProblem(small.parse(many.append("]\n").toString()), "$", "elements");
        assertThrows(IllegalArgumentException.class, () -> new DocumentLimits(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new DocumentLimits(1, -1, 1));
    }

    @Test
    void nestingWithinTheLimitIsAccepted() {
        // root, processNodes, t1, config = 4 levels, plus 20 = 24 < 32
        String config = "{a: ".repeat(20) + "deep" + "}".repeat(20);
        Pipeline p = assertValid("""
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p, config: %s}
                """.formatted(config)).pipeline();
        Object value = p.processNodes().get("t1").config();
        for (int i = 0; i < 20; i++) {
            value = ((Map<?, ?>) value).get("a");
        }
        assertEquals("deep", value);
    }

    // ------------------------------------------------------------------ valid pipelines

    static final String TWO_TASK_PIPELINE = """
            dataNodes:
              data_node_1:
                source: my_input.csv
              data_node_2:
                source: intermediate.csv
              data_node_3:
                source: my_output.csv
            processNodes:
              process_node_1:
                input:
                  - data_node_1
                output:
                  - data_node_2
                processor: my_first_task
              process_node_2:
                input:
                  - data_node_2
                output:
                  - data_node_3
                processor: my_second_task
            """;

    // ------------------------------------------------------------------ valid pipelines

    @Test
    void twoTaskPipeline() {
        Pipeline p = assertValid(TWO_TASK_PIPELINE).pipeline();
        assertEquals(List.of("data_node_1", "data_node_2", "data_node_3"), List.copyOf(p.dataNodes().keySet()));
        assertEquals(new DataNode("data_node_2", "intermediate.csv"), p.dataNodes().get("data_node_2"));
        assertEquals(List.of("process_node_1", "process_node_2"), List.copyOf(p.processNodes().keySet()));
        ProcessNode first = p.processNodes().get("process_node_1");
        assertEquals(List.of("data_node_1"), first.input());
        assertEquals(List.of("data_node_2"), first.output());
        assertEquals("my_first_task", first.processor());
        assertEquals(ProcessNode.DEFAULT_POOL, first.pool());
        assertEquals("default", first.pool());
        assertEquals(Map.of(), first.config());
        assertEquals(RetryPolicy.NONE, first.retries());
        assertNull(first.timeout());
        assertNull(first.queueTimeout());
        assertNull(first.heartbeat());
        assertEquals("my_second_task", p.processNodes().get("process_node_2").processor());
        assertNull(p.name());
        assertNull(p.schedule());
        assertNull(p.deadline());
        assertNull(p.retention(), "no retention of its own: the installation's PW_JOB_RETENTION");
        assertTrue(p.parameters().isEmpty());
        assertTrue(p.requirements().isEmpty());
    }

    @Test
    void basicPipeline() {
        Pipeline p = assertValid("""
                dataNodes:
                  data_node_1:
                    source: my_input.csv
                  data_node_2:
                    source: my_output.csv
                processNodes:
                  process_node_1:
                    input:
                      - data_node_1
                    output:
                      - data_node_2
                    processor: my_module
                """).pipeline();
        assertEquals("my_module", p.processNodes().get("process_node_1").processor());
        assertEquals("my_output.csv", p.dataNodes().get("data_node_2").source());
    }

    @Test
    void multipleInputsAndOutputsKeepTheirOrder() {
        Pipeline p = assertValid("""
                dataNodes:
                  data3: {source: c.csv}
                  data1: {source: a.csv}
                  data2: {source: b.csv}
                  data5: {}
                  data4: {}
                processNodes:
                  task1:
                    input:
                      - data1
                      - data2
                      - data3
                    output:
                      - data4
                      - data5
                    processor: my_module
                """).pipeline();
        ProcessNode task1 = p.processNodes().get("task1");
        assertEquals(List.of("data1", "data2", "data3"), task1.input());
        assertEquals(List.of("data4", "data5"), task1.output());
        assertEquals(List.of("data3", "data1", "data2", "data5", "data4"), List.copyOf(p.dataNodes().keySet()));
    }

    @Test
    void scheduleWithStartAndEndDatesAndZone() {
        Pipeline p = assertValid("""
                dataNodes:
                  data_node_1:
                    source: my_input.csv
                  data_node_2:
                    source: my_output.csv
                processNodes:
                  process_node_1:
                    input:
                      - data_node_1
                    output:
                      - data_node_2
                    processor: my_module
                schedule:
                  schedule_interval: "5 10 * * *"
                  start_date: "2022-01-01 00:00"
                  end_date: "2022-12-31 00:00"
                  timezone: "Europe/Paris"
                """).pipeline();
        assertEquals(new Schedule("5 10 * * *", "2022-01-01 00:00", "2022-12-31 00:00", "Europe/Paris"), p.schedule());
    }

    @Test
    void scheduleAsPlainCronOrMacro() {
        String base = """
                dataNodes: {a: {source: in.csv}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p}
                """;
        assertEquals(new Schedule("*/15 * * * 1-5", null, null, null),
                assertValid(base + "schedule: \"*/15 * * * 1-5\"\n").pipeline().schedule());
        assertEquals("@daily", assertValid(base + "schedule: \"@daily\"\n").pipeline().schedule().cron());
        assertEquals("0 3 * * *", assertValid(base + "schedule: {cron: \"0 3 * * *\"}\n").pipeline().schedule().cron());
    }

    @Test
    void aScheduledPipelineMustBeAbleToStartWithNoRequest() {
        PipelineParser.Result r = parser.parse("""
                parameters:
                  day: {type: string, required: true}
                  page: {type: integer, required: false}
                  lang: {type: string, default: en}
                dataNodes:
                  doc: {}
                  table: {source: "in/${lang}.csv"}
                  report: {source: "out/${page}.json"}
                processNodes:
                  t1: {input: [doc, table], output: [report], processor: p}
                schedule: "5 10 * * *"
                """);
        assertProblem(r, "parameters.day", "required parameter without a default");
        assertProblem(r, "dataNodes.doc", "job input without a source");
        assertProblem(r, "dataNodes.report.source", "${page}");
        assertEquals(3, r.problems().size(), () -> "problems: " + r.problems());
        // a version stored before these rules existed stays readable
        assertTrue(parser.parseAccepted("""
                parameters:
                  day: {type: string, required: true}
                dataNodes: {doc: {}, out: {}}
                processNodes:
                  t1: {input: [doc], output: [out], processor: p}
                schedule: {cron: "5 10 * * *", start_date: "2022-02-30"}
                """).valid());
        // the same pipeline without a schedule is fine: whoever submits a job gives what it needs
        assertValid("""
                parameters:
                  day: {type: string, required: true}
                  page: {type: integer, required: false}
                dataNodes:
                  doc: {}
                  report: {source: "out/${page}.json"}
                processNodes:
                  t1: {input: [doc], output: [report], processor: p}
                """);
    }

    @Test
    void scheduleDatesAreRealAndInOrder() {
        String base = """
                dataNodes: {a: {source: in.csv}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p}
                """;
        assertProblem(parser.parse(base + "schedule: {cron: \"5 10 * * *\", start_date: \"2022-02-30\"}\n"),
                "schedule.start_date", "no such date");
        assertProblem(parser.parse(base + "schedule: {cron: \"5 10 * * *\", end_date: \"2022-01-01 24:30\"}\n"),
                "schedule.end_date", "no such date");
        assertProblem(parser.parse(base + "schedule: {cron: \"5 10 * * *\", start_date: \"2022-06-01\", end_date: \"2022-01-01 10:00\"}\n"),
                "schedule.end_date", "not after start_date");
        Schedule s = assertValid(base + "schedule: {cron: \"5 10 * * *\", start_date: \"2022-01-01\", end_date: \"2022-01-01 00:01\"}\n")
                .pipeline().schedule();
        assertEquals(java.time.LocalDateTime.of(2022, 1, 1, 0, 0), Schedule.localDateTime(s.startDate()));
        assertEquals("UTC", s.zone().getId());
    }

    @Test
    void theCronCheckIsAskedAboutWellShapedExpressionsAndItsProblemKeepsTheLocation() {
        List<String> asked = new java.util.ArrayList<>();
        PipelineParser checking = new PipelineParser(DocumentLimits.DEFAULTS, cron -> {
            asked.add(cron);
            return cron.startsWith("61") ? "minute: 61 is not from 0 to 59" : null;
        });
        String base = """
                dataNodes: {a: {source: in.csv}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p}
                """;
        assertProblem(checking.parse(base + "schedule: {schedule_interval: \"61 10 * * *\"}\n"), "schedule.schedule_interval", "minute: 61");
        assertProblem(checking.parse(base + "schedule: \"61 10 * * *\"\n"), "schedule", "minute: 61");
        assertProblem(checking.parse(base + "schedule: {cron: \"61 10 * * *\"}\n"), "schedule.cron", "minute: 61");
        assertTrue(checking.parse(base + "schedule: \"@daily\"\n").valid());
        assertFalse(checking.parse(base + "schedule: \"5 10 * *\"\n").valid());
        assertEquals(List.of("61 10 * * *", "61 10 * * *", "61 10 * * *", "@daily"), asked); // a bad shape is not asked about
    }

    @Test
    void requirementOfAProcessNode() {
        Pipeline p = assertValid("""
                dataNodes:
                  data_node_1:
                    source: my_input.csv
                  data_node_2:
                    source: my_output.csv
                processNodes:
                  process_node_1:
                    input:
                      - data_node_1
                    output:
                      - data_node_2
                    processor: my_module
                requirement:
                  -
                    name: "pandas"
                    version: 1.5.3
                """).pipeline();
        assertEquals(List.of(new Requirement("pandas", "1.5.3")), p.requirements());
        Pipeline flow = assertValid("""
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p}
                requirement: [{name: pandas, version: 1.5.3}]
                """).pipeline();
        assertEquals(List.of(new Requirement("pandas", "1.5.3")), flow.requirements());
    }

    @Test
    void retriesAsNumber() {
        ProcessNode t1 = assertValid("""
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p, retries: 3}
                """).pipeline().processNodes().get("t1");
        assertEquals(3, t1.retries().max());
        assertEquals(RetryPolicy.ofMax(3), t1.retries());
        assertEquals(Backoff.EXPONENTIAL, t1.retries().backoff());
    }

    @Test
    void retriesAsMapping() {
        RetryPolicy retries = assertValid("""
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1:
                    input: [a]
                    output: [b]
                    processor: p
                    retries: {max: 2, backoff: fixed, initial: 500ms}
                """).pipeline().processNodes().get("t1").retries();
        assertEquals(new RetryPolicy(2, Backoff.FIXED, Duration.ofMillis(500), RetryPolicy.DEFAULT_MAX_DELAY, 0.2), retries);
        RetryPolicy full = assertValid("""
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1:
                    input: [a]
                    output: [b]
                    processor: p
                    retries: {max: 5, backoff: LINEAR, initial: 2s, maxDelay: 1m, jitter: 0}
                """).pipeline().processNodes().get("t1").retries();
        assertEquals(new RetryPolicy(5, Backoff.LINEAR, Duration.ofSeconds(2), Duration.ofMinutes(1), 0.0), full);
    }

    @Test
    void retentionOverridesTheInstallationsDefault() {
        Pipeline p = assertValid("""
                retention: 2d
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p}
                """).pipeline();
        assertEquals(Duration.ofDays(2), p.retention());
        assertEquals(Duration.ofDays(3650), assertValid("""
                retention: 3650d
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p}
                """).pipeline().retention());
    }

    @Test
    void durationsInEveryUnit() {
        Pipeline p = assertValid("""
                deadline: 2d
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t1:
                    input: [a]
                    output: [b]
                    processor: p
                    timeout: 1h
                    queueTimeout: 5m
                    heartbeat: 500ms
                  t2:
                    input: [b]
                    output: [a2]
                    processor: p
                    timeout: 30s
                """.replace("{a: {}, b: {}}", "{a: {}, b: {}, a2: {}}")).pipeline();
        ProcessNode t1 = p.processNodes().get("t1");
        assertEquals(Duration.ofHours(1), t1.timeout());
        assertEquals(Duration.ofMinutes(5), t1.queueTimeout());
        assertEquals(Duration.ofMillis(500), t1.heartbeat());
        assertEquals(Duration.ofSeconds(30), p.processNodes().get("t2").timeout());
        assertEquals(Duration.ofDays(2), p.deadline());
    }

    @Test
    void parameters() {
        Map<String, Parameter> params = assertValid("""
                parameters:
                  x: string
                  n: {type: integer, default: 0}
                  ratio: {type: number, default: 0.5, description: how much}
                  flag: {type: boolean, required: false}
                  tags: {type: array, default: [a, b]}
                  untyped: {}
                dataNodes: {a: {source: "in/${x}.csv"}, b: {}}
                processNodes:
                  t1: {input: [a], output: [b], processor: p}
                """).pipeline().parameters();
        assertEquals(List.of("x", "n", "ratio", "flag", "tags", "untyped"), List.copyOf(params.keySet()));
        assertEquals(new Parameter("x", ParamType.STRING, null, true, null), params.get("x"));
        assertEquals(new Parameter("n", ParamType.INTEGER, 0, false, null), params.get("n"));
        assertFalse(params.get("n").required());
        assertEquals(new Parameter("ratio", ParamType.NUMBER, 0.5, false, "how much"), params.get("ratio"));
        assertEquals(new Parameter("flag", ParamType.BOOLEAN, null, false, null), params.get("flag"));
        assertEquals(List.of("a", "b"), params.get("tags").defaultValue());
        assertEquals(new Parameter("untyped", ParamType.STRING, null, true, null), params.get("untyped"));
    }

    @Test
    void everyFieldOfAProcessNode() {
        Pipeline p = assertValid("""
                name: nightly.etl-v2
                description: Loads and cleans
                dataNodes:
                  raw: {source: raw.csv, description: the raw dump}
                  clean:
                processNodes:
                  cleaner:
                    description: drops bad rows
                    input: raw
                    output: [clean]
                    processor: cleaner_v1
                    pool: gpu
                    config: {threshold: 0.5, columns: [a, b], nested: {k: v}, enabled: true}
                    requirement: [{name: numpy, version: "2.0"}]
                """).pipeline();
        assertEquals("nightly.etl-v2", p.name());
        assertEquals("Loads and cleans", p.description());
        assertEquals(new DataNode("clean", null), p.dataNodes().get("clean"));
        ProcessNode n = p.processNodes().get("cleaner");
        assertEquals(List.of("raw"), n.input());
        assertEquals("gpu", n.pool());
        assertEquals(Map.of("threshold", 0.5, "columns", List.of("a", "b"), "nested", Map.of("k", "v"), "enabled", true),
                n.config());
        assertEquals(List.of("threshold", "columns", "nested", "enabled"), List.copyOf(n.config().keySet()));
    }

    @Test
    void dataNodeWithoutBodyHasNoSource() {
        Pipeline p = assertValid("""
                dataNodes:
                  a:
                  b: ~
                  c: {}
                processNodes:
                  t1: {input: [a, b], output: [c], processor: p}
                """).pipeline();
        assertNull(p.dataNodes().get("a").source());
        assertNull(p.dataNodes().get("b").source());
        assertNull(p.dataNodes().get("c").source());
    }

    @Test
    void coreSchemaTagsAreAccepted() {
        Pipeline p = assertValid("""
                dataNodes: !!map
                  a: {source: !!str 2024}
                  b: {}
                processNodes:
                  t1: {input: !!seq [a], output: [b], processor: p, retries: !!int 2}
                """).pipeline();
        assertEquals("2024", p.dataNodes().get("a").source());
        assertEquals(2, p.processNodes().get("t1").retries().max());
    }

    @Test
    void jsonFormGivesTheSameModel() {
        String yaml = """
                name: demo
                parameters:
                  x: {type: string, default: X}
                  n: {type: integer, default: 0}
                dataNodes:
                  data1: {source: a.csv}
                  data2: {source: b.csv}
                  data3: {source: c.csv}
                  data4: {}
                  data5: {source: "out/${x}.csv"}
                processNodes:
                  task1:
                    input: [data1, data2, data3]
                    output: [data4, data5]
                    processor: my_module
                    config: {threshold: 0.5, columns: [a, b]}
                    timeout: 30s
                    retries: {max: 2, backoff: fixed, initial: 500ms}
                schedule:
                  schedule_interval: "5 10 * * *"
                  start_date: "2022-01-01 00:00"
                  end_date: "2022-12-31 00:00"
                  timezone: "Europe/Paris"
                deadline: 1h
                requirement: [{name: pandas, version: 1.5.3}]
                """;
        String json = """
                {
                  "name": "demo",
                  "parameters": {"x": {"type": "string", "default": "X"}, "n": {"type": "integer", "default": 0}},
                  "dataNodes": {
                    "data1": {"source": "a.csv"},
                    "data2": {"source": "b.csv"},
                    "data3": {"source": "c.csv"},
                    "data4": {},
                    "data5": {"source": "out/${x}.csv"}
                  },
                  "processNodes": {
                    "task1": {
                      "input": ["data1", "data2", "data3"],
                      "output": ["data4", "data5"],
                      "processor": "my_module",
                      "config": {"threshold": 0.5, "columns": ["a", "b"]},
                      "timeout": "30s",
                      "retries": {"max": 2, "backoff": "fixed", "initial": "500ms"}
                    }
                  },
                  "schedule": {
                    "schedule_interval": "5 10 * * *",
                    "start_date": "2022-01-01 00:00",
                    "end_date": "2022-12-31 00:00",
                    "timezone": "Europe/Paris"
                  },
                  "deadline": "1h",
                  "requirement": [{"name": "pandas", "version": "1.5.3"}]
                }
                """;
        Pipeline fromYaml = assertValid(yaml).pipeline();
        Pipeline fromJson = assertValid(json).pipeline();
        assertEquals(fromYaml, fromJson);
        assertEquals(List.of("data1", "data2", "data3"), fromJson.processNodes().get("task1").input());
    }

    @Test
    void twoTaskPipelineInJsonForm() {
        Pipeline json = assertValid("""
                {"dataNodes": {"data_node_1": {"source": "my_input.csv"},
                               "data_node_2": {"source": "intermediate.csv"},
                               "data_node_3": {"source": "my_output.csv"}},
                 "processNodes": {
                   "process_node_1": {"input": ["data_node_1"], "output": ["data_node_2"], "processor": "my_first_task"},
                   "process_node_2": {"input": ["data_node_2"], "output": ["data_node_3"], "processor": "my_second_task"}}}
                """).pipeline();
        assertEquals(assertValid(TWO_TASK_PIPELINE).pipeline(), json);
    }

    @Test
    void parsesAnAlreadyReadTree() throws Exception {
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
                {"dataNodes": {"a": {}, "b": {}}, "processNodes": {"t1": {"input": ["a"], "output": ["b"], "processor": "p"}}}
                """);
        PipelineParser.Result result = parser.parse(tree);
        assertTrue(result.valid(), result.problems()::toString);
        assertEquals(List.of("b"), result.pipeline().processNodes().get("t1").output());
    }

    @Test
    void aCycleIsReportedBesideOtherProblems() {
        PipelineParser.Result r = new PipelineParser().parse("""
                dataNodes: {a: {}, b: {}, c: {}, s: {source: "x/${nope}"}}
                processNodes:
                  t1: {input: [a, ghost], output: [b], processor: identity}
                  t2: {input: [b], output: [a], processor: identity}
                  t3: {input: [c], output: [c], processor: identity}
                """);
        List<String> paths = r.problems().stream().map(Problem::path).toList();
        assertTrue(r.problems().stream().anyMatch(p -> p.message().equals("cycle: t1 -> t2 -> t1")), r.problems()::toString);
        assertTrue(paths.contains("processNodes.t1.input[1]"), paths::toString);
        assertTrue(paths.contains("dataNodes.s.source"), paths::toString);
        assertEquals(1, r.problems().stream().filter(p -> p.path().startsWith("processNodes.t3")).count(),
                "a node reading its own output is one problem, not also a cycle: " + r.problems());
    }
}
