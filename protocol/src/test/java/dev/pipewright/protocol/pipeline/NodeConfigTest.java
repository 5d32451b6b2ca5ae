package dev.pipewright.protocol.pipeline;

import dev.pipewright.protocol.parse.PipelineParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeConfigTest {
    @Test
    void aWholeValuePlaceholderKeepsTheParametersTypeAndAPartOfATextBecomesText() {
        Map<String, Object> config = Map.of("epochs", "${epochs}", "name", "run-${epochs}",
                "nested", Map.of("layers", List.of("${sizes}", "x${epochs}")));
        List<Problem> problems = new ArrayList<>();
        Map<String, Object> out = NodeConfig.resolve(config, Map.of("epochs", 5L, "sizes", List.of(1, 2)), "processNodes.t.config", problems);
        assertEquals(List.of(), problems);
        assertEquals(5L, out.get("epochs"));
        assertEquals("run-5", out.get("name"));
        assertEquals(Map.of("layers", List.of(List.of(1, 2), "x5")), out.get("nested"));
    }

    @Test
    void aPlaceholderWithoutAValueIsAProblemAtItsPlace() {
        List<Problem> problems = new ArrayList<>();
        NodeConfig.resolve(Map.of("a", Map.of("b", List.of("${gone}"))), Map.of(), "processNodes.t.config", problems);
        assertEquals(List.of(new Problem("processNodes.t.config.a.b[0]", "placeholder ${gone} names no parameter with a value")), problems);
    }

    @Test
    void aConfigWithoutPlaceholdersIsReturnedAsItIs() {
        Map<String, Object> config = Map.of("a", 1);
        assertTrue(NodeConfig.resolve(config, Map.of(), "x", new ArrayList<>()) == config);
        assertFalse(NodeConfig.hasPlaceholders(config));
    }

    @Test
    void theOverrideMergesMappingsAtEveryDepthReplacesOtherValuesAndNullRemoves() {
        Map<String, Object> base = new LinkedHashMap<>();
        base.put("epochs", 10);
        base.put("optimizer", Map.of("name", "adam", "lr", 0.1));
        base.put("layers", List.of(1, 2, 3));
        base.put("debug", true);
        Map<String, Object> override = new LinkedHashMap<>();
        override.put("epochs", 5);
        override.put("optimizer", Map.of("lr", 0.01));
        override.put("layers", List.of(4));
        override.put("debug", null);
        override.put("extra", Map.of("k", "v"));
        Map<String, Object> out = NodeConfig.merge(base, override);
        assertEquals(Map.of("epochs", 5, "optimizer", Map.of("name", "adam", "lr", 0.01), "layers", List.of(4), "extra", Map.of("k", "v")), out);
        assertEquals(10, base.get("epochs"));
    }

    @Test
    void validateRefusesAnUnknownParameterInConfigAndASchemaOnANonJsonType() {
        PipelineParser.Result r = new PipelineParser().parse("""
                parameters: {epochs: {type: integer, default: 3}}
                dataNodes:
                  raw: {type: text/csv, schema: {type: object}}
                  model: {type: application/json, schema: {type: object}}
                processNodes:
                  train:
                    input: [raw]
                    output: [model]
                    processor: noop
                    config: {epochs: "${epochs}", opts: {seed: "s-${seed}"}}
                """);
        assertEquals(List.of(
                new Problem("dataNodes.raw.schema", "a schema describes JSON, and type 'text/csv' is not JSON: use type application/json "
                        + "(or a +json type), or leave the type out"),
                new Problem("processNodes.train.config.opts.seed", "placeholder ${seed} names no declared parameter")), r.problems());
    }

    @Test
    void aScheduledPipelinesConfigMustResolveWithTheDefaults() {
        PipelineParser.Result r = new PipelineParser().parse("""
                schedule: {cron: "0 3 * * *"}
                parameters: {epochs: {type: integer, required: false}, seed: {type: integer, default: 1}}
                dataNodes: {raw: {source: raw.json}, out: {}}
                processNodes:
                  train: {input: [raw], output: [out], processor: noop, config: {epochs: "${epochs}", seed: "${seed}"}}
                """);
        assertEquals(List.of(new Problem("processNodes.train.config.epochs",
                "placeholder ${epochs} names a parameter without a default: a scheduled job could not resolve it")), r.problems());
    }
}
