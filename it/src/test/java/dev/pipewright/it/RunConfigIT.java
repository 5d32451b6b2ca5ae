package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-run configuration on real services: a submit's {@code config.nodes} override is merged into
 * the node's config and is what the processor runs with (the processor writes the config it got as
 * its output); {@code ${parameter}}s in config take the job's parameters (with their type when a
 * whole value); the effective config is checked against the node's {@code configSchema} at submit,
 * through the pipeline's and a run's submit routes; a re-run keeps the configuration.
 */
class RunConfigIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(40);

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("pw-run-config-it-");
        Path processors = dir.resolve("processors.yaml");
        // writes the config it was handed ($PW_CONFIG, JSON) as its one output
        Files.writeString(processors, """
                processors:
                  echo_config:
                    command: [sh, -c, 'printf "%s" "$PW_CONFIG" > "$PW_OUTPUT_DIR/$PW_OUTPUTS"']
                """);
        cluster = Cluster.builder().workers(1).concurrency(4).processorsFile(processors).start();
        cluster.postPipeline("""
                name: train
                parameters:
                  epochs: {type: integer, default: 10}
                  who: {type: string, default: nobody}
                dataNodes: {data: {}, model: {}}
                processNodes:
                  train:
                    input: [data]
                    output: [model]
                    processor: echo_config
                    config:
                      epochs: ${epochs}
                      tag: run-${who}-${epochs}
                      optimizer: {name: adam, lr: 0.1}
                      debug: true
                    configSchema:
                      type: object
                      required: [epochs, optimizer]
                      properties:
                        epochs: {type: integer, minimum: 1}
                        optimizer: {type: object, properties: {lr: {type: number, exclusiveMinimum: 0}}}
                """);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<String> problems(Cluster.Response r) {
        List<String> out = new ArrayList<>();
        r.json().path("error").path("problems").forEach(p -> out.add(p.path("path").asText() + ": " + p.path("message").asText()));
        return out;
    }

    private static JsonNode configSeen(String job) throws Exception {
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        return Cluster.JSON.readTree(cluster.consumableText(job, "model"));
    }

    @Test
    void parametersFillTheConfigAndAWholeValuePlaceholderKeepsItsType() throws Exception {
        JsonNode seen = configSeen(cluster.submit("train", """
                {"inputs": {"data": "d"}, "parameters": {"epochs": 7, "who": "ann"}}"""));
        assertTrue(seen.path("epochs").isIntegralNumber(), seen::toString);
        assertEquals(7, seen.path("epochs").asInt());
        assertEquals("run-ann-7", seen.path("tag").asText());
        assertEquals(Cluster.JSON.readTree("{\"name\": \"adam\", \"lr\": 0.1}"), seen.path("optimizer"));
    }

    @Test
    void anOverrideIsMergedDeeplyAndReachesTheProcessor() throws Exception {
        String job = cluster.submit("train", """
                {"inputs": {"data": "d"},
                 "config": {"nodes": {"train": {"epochs": 5, "optimizer": {"lr": 0.01}, "debug": null, "layers": [64, 32]}}}}""");
        JsonNode seen = configSeen(job);
        assertEquals(Cluster.JSON.readTree("""
                {"epochs": 5, "tag": "run-nobody-10", "optimizer": {"name": "adam", "lr": 0.01}, "layers": [64, 32]}"""), seen);
        // the job shows what it was submitted with, and a re-run runs with the same
        assertEquals(5, cluster.job(job).path("config").path("nodes").path("train").path("epochs").asInt());
        Cluster.Response rerun = cluster.post("/api/v1/jobs/" + job + "/run", "{}", "application/json");
        assertEquals(202, rerun.status(), rerun::toString);
        assertEquals(seen, configSeen(rerun.json().path("id").asText()));
    }

    @Test
    void anEffectiveConfigThatBreaksItsSchemaIsRefusedAtSubmitWithItsPlace() {
        Cluster.Response bad = cluster.submitRaw("train", """
                {"inputs": {"data": "d"}, "config": {"nodes": {"train": {"epochs": "five", "optimizer": {"lr": 0}}}}}""");
        assertEquals(400, bad.status(), bad::toString);
        List<String> p = problems(bad);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("config.nodes.train: /epochs: ") && s.contains("integer")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("config.nodes.train: /optimizer/lr: ")), p::toString);

        // a parameter is checked through the schema too, once it fills the config
        Cluster.Response zero = cluster.submitRaw("train", """
                {"inputs": {"data": "d"}, "parameters": {"epochs": 0}}""");
        assertEquals(400, zero.status(), zero::toString);
        assertTrue(problems(zero).stream().anyMatch(s -> s.startsWith("config.nodes.train: /epochs: ")), zero::toString);

        // removing a required key is an override like any other
        Cluster.Response removed = cluster.submitRaw("train", """
                {"inputs": {"data": "d"}, "config": {"nodes": {"train": {"optimizer": null}}}}""");
        assertEquals(400, removed.status(), removed::toString);
        assertTrue(problems(removed).stream().anyMatch(s -> s.startsWith("config.nodes.train: /: ") && s.contains("optimizer")), removed::toString);
    }

    @Test
    void anOverrideOfAnUnknownNodeOrOfTheWrongShapeIsRefused() {
        Cluster.Response unknown = cluster.submitRaw("train", """
                {"inputs": {"data": "d"}, "config": {"nodes": {"evaluate": {"epochs": 5}}}}""");
        assertEquals(400, unknown.status(), unknown::toString);
        assertTrue(problems(unknown).stream().anyMatch(s -> s.startsWith("config.nodes.evaluate: unknown process node 'evaluate'")),
                unknown::toString);

        Cluster.Response shape = cluster.submitRaw("train", """
                {"inputs": {"data": "d"}, "config": {"nodes": {"train": 5}}}""");
        assertEquals(400, shape.status(), shape::toString);
        assertTrue(shape.text().contains("config.nodes") && !shape.text().contains("Exception"), shape::toString);
    }

    @Test
    void aRunsSubmitTakesTheSameConfiguration() throws Exception {
        Cluster.Response run = cluster.post("/api/v1/runs", "{\"pipeline_id\": \"train\"}", "application/json");
        assertEquals(201, run.status(), run::toString);
        String runId = run.json().path("id").asText();
        Cluster.Response bad = cluster.post("/api/v1/runs/" + runId + "/jobs", """
                {"inputs": {"data": "d"}, "config": {"nodes": {"train": {"epochs": -1}}}}""", "application/json");
        assertEquals(400, bad.status(), bad::toString);
        assertTrue(problems(bad).stream().anyMatch(s -> s.startsWith("config.nodes.train: /epochs: ")), bad::toString);
        Cluster.Response ok = cluster.post("/api/v1/runs/" + runId + "/jobs", """
                {"inputs": {"data": "d"}, "config": {"nodes": {"train": {"epochs": 3}}}}""", "application/json");
        assertEquals(202, ok.status(), ok::toString);
        assertEquals(3, configSeen(ok.json().path("id").asText()).path("epochs").asInt());
    }
}
