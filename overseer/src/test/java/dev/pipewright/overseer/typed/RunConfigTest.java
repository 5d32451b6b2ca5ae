package dev.pipewright.overseer.typed;

import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunConfigTest {
    private static final Pipeline PIPELINE = new PipelineParser().parse("""
            parameters: {epochs: {type: integer, default: 3}}
            dataNodes: {a: {}, b: {}, c: {}}
            processNodes:
              train:
                input: [a]
                output: [b]
                processor: noop
                config: {epochs: "${epochs}", lr: 0.1}
                configSchema: {type: object, properties: {epochs: {type: integer, minimum: 1}}}
              plain: {input: [b], output: [c], processor: noop, config: {k: 1}}
            """).pipeline();

    @Test
    void onlyNodesWhoseConfigChangesGetAnEffectiveConfig() {
        List<Problem> problems = new ArrayList<>();
        Map<String, Map<String, Object>> out = RunConfig.effective(PIPELINE, List.of("train", "plain"), Map.of("epochs", 4L),
                Map.of(), problems);
        assertEquals(List.of(), problems);
        assertEquals(Map.of("train", Map.of("epochs", 4L, "lr", 0.1)), out);
    }

    @Test
    void anOverrideIsMergedAndCheckedAndAnUnknownNodeIsRefused() {
        List<Problem> problems = new ArrayList<>();
        Map<String, Map<String, Object>> out = RunConfig.effective(PIPELINE, List.of("train", "plain"), Map.of("epochs", 4L),
                Map.of("plain", Map.of("k", 2), "train", Map.of("epochs", 0), "nope", Map.of()), problems);
        assertEquals(Map.of("k", 2), out.get("plain"));
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).toString().startsWith("config.nodes.nope: unknown process node 'nope'"), problems::toString);
        assertTrue(problems.get(1).toString().startsWith("config.nodes.train: /epochs: "), problems::toString);
    }

    @Test
    void overridesOverTheCapAreRefused() {
        assertEquals(List.of(), RunConfig.size(Map.of(), 10));
        List<Problem> p = RunConfig.size(Map.of("train", Map.of("text", "x".repeat(100))), 50);
        assertEquals("config.nodes", p.get(0).path());
    }

    @Test
    void aNewPipelinesSchemasAreCheckedWithTheirPlaces() {
        Pipeline p = new PipelineParser().parse("""
                dataNodes: {a: {schema: {type: nmber}}, b: {}}
                processNodes:
                  t: {input: [a], output: [b], processor: noop, config: {n: 0}, configSchema: {properties: {n: {minimum: 1}}}}
                """).pipeline();
        List<String> problems = TypedData.pipelineProblems(p).stream().map(Problem::toString).toList();
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith("dataNodes.a.schema: /type: "), problems::toString);
        assertTrue(problems.get(1).startsWith("processNodes.t.config: /n: "), problems::toString);
    }
}
