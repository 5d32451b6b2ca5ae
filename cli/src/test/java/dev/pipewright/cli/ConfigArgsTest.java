package dev.pipewright.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigArgsTest {
    @Test
    void optionsBuildNestedOverridesWithJsonValuesAndTextOtherwise() {
        Map<String, Object> nodes = ConfigArgs.nodes(null, List.of("train.epochs=5", "train.optimizer.lr=0.01", "train.name=adam",
                "train.debug=null", "eval.sets=[1,2]"));
        Map<String, Object> train = new HashMap<>();
        train.put("epochs", 5);
        train.put("optimizer", Map.of("lr", 0.01));
        train.put("name", "adam");
        train.put("debug", null);
        assertEquals(Map.of("train", train, "eval", Map.of("sets", List.of(1, 2))), nodes);
    }

    @Test
    void aFileGivesTheOverridesAndOptionsGoOnTop(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.yaml");
        Files.writeString(file, "nodes:\n  train: {epochs: 3, optimizer: {name: sgd}}\n");
        Map<String, Object> nodes = ConfigArgs.nodes(file.toString(), List.of("train.epochs=4"));
        assertEquals(Map.of("train", Map.of("epochs", 4, "optimizer", Map.of("name", "sgd"))), nodes);
    }

    @Test
    void anOptionWithoutANodeIsAUsageError() {
        assertThrows(CliException.class, () -> ConfigArgs.nodes(null, List.of("epochs=5")));
    }
}
