package dev.pipewright.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every YAML and JSON file of the deployment parses (duplicate keys count as an error). */
class YamlFilesTest {

    @Test
    void everyYamlFileUnderDeployAndTheComposeFileParses() {
        List<Path> files = new ArrayList<>(Repo.files(Repo.DEPLOY, ".yaml", ".yml"));
        files.add(Repo.path("docker-compose.yml"));
        assertTrue(files.size() >= 10, "expected the deployment's YAML files, found " + files);
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            List<JsonNode> docs = Repo.yamlDocuments(file);
            if (docs.isEmpty()) {
                problems.add(Repo.ROOT.relativize(file) + ": no YAML document");
            }
            for (JsonNode doc : docs) {
                if (!doc.isObject()) {
                    problems.add(Repo.ROOT.relativize(file) + ": a document is not a mapping");
                }
            }
        }
        Repo.noProblems("YAML files", problems);
    }

    @Test
    void everyJsonFileUnderDeployParses() {
        List<Path> files = Repo.files(Repo.DEPLOY, ".json");
        assertFalse(files.isEmpty(), "expected the Grafana dashboard JSON");
        for (Path file : files) {
            Repo.json(Repo.ROOT.relativize(file).toString());
        }
    }
}
