package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.PythonRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 001's pasta recipe as the example shows it (examples/pasta): the steps are the example's own
 * exec commands, registered by examples/processors.yaml as it is; the plan before and after the first
 * job, the second job taking the sauce and what it is made of from the cache, the step reused under
 * two names, and the graph picture.
 */
class PastaExampleIT {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final List<String> SAUCE = List.of("brown_onions", "cut_tomatoes", "pour_tomatoes");

    @TempDir
    static Path dir;
    static Cluster cluster;
    static String pasta;

    @BeforeAll
    static void start() throws Exception {
        Path repo = new PythonRun(dir).repo();
        ObjectNode registry = (ObjectNode) YAML.readTree(repo.resolve("examples/processors.yaml").toFile());
        registry.path("processors").fields().forEachRemaining(e -> ((ObjectNode) e.getValue()).put("workdir", repo.resolve("examples").toString()));
        Path registryFile = dir.resolve("processors.yaml");
        YAML.writeValue(registryFile.toFile(), registry);
        cluster = Cluster.builder().workers(1).concurrency(4).processorsFile(registryFile).start();
        Path pantry = cluster.dataDir().resolve("shared/pasta/pantry.json");
        Files.createDirectories(pantry.getParent());
        Files.copy(repo.resolve("examples/data/shared/pasta/pantry.json"), pantry);
        pasta = cluster.postPipeline(Files.readString(repo.resolve("examples/pasta/pipeline.yaml"))).path("id").asText();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Map<String, String> marks() {
        JsonNode plan = cluster.get("/api/v1/pipelines/" + pasta + "/plan").json();
        Map<String, String> out = new LinkedHashMap<>();
        plan.path("cache").path("nodes").forEach(n -> out.put(n.path("node").asText(), n.path("marks").asText()));
        return out;
    }

    private static JsonNode cook(String body) {
        String id = cluster.submit(pasta, body);
        JsonNode view = cluster.awaitJob(id, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        return view;
    }

    @Test
    void theSauceIsCookedOnceThenTakenFromTheCacheAsThePlanSays() throws Exception {
        Map<String, String> before = marks();
        for (String node : SAUCE) {
            assertEquals("[ ] (>)", before.get(node), node + " before any job: " + before);
        }
        assertEquals("[x] (H)", before.get("pan_fry"), before.toString());
        assertEquals("[x] (>)", before.get("salt_tomatoes"), before.toString());

        JsonNode first = cook("{}");
        String firstId = first.path("id").asText();
        for (JsonNode t : first.path("tasks")) {
            assertEquals("SUCCESS", t.path("status").asText(), t::toString);
            assertEquals(1, t.path("attempts").asInt(), t::toString);
        }
        JsonNode lunch = Cluster.JSON.readTree(cluster.consumableText(firstId, "lunch"));
        assertEquals("pasta al pomodoro e basilico", lunch.path("dish").asText(), lunch::toPrettyString);
        assertEquals(2, lunch.path("servings").asInt());
        // salt, one step under two names, salted the water and the sauce, each with its own config
        assertEquals("30 g", Cluster.JSON.readTree(cluster.consumableText(firstId, "salted_water")).path("salted").asText());
        assertEquals("5 g", Cluster.JSON.readTree(cluster.consumableText(firstId, "salted_sauce")).path("salted").asText());
        assertTrue(Files.isRegularFile(cluster.dataArea().resolve("out/pasta/lunch-for-2.json")), "lunch served to the data store");

        Map<String, String> after = marks();
        for (String node : SAUCE) {
            assertEquals("[*] ( )", after.get(node), node + " after the first job: " + after);
        }
        assertEquals("[x] (H)", after.get("pan_fry"), after.toString());

        JsonNode second = cook("{}");
        for (JsonNode t : second.path("tasks")) {
            String node = t.path("node").asText();
            if (SAUCE.contains(node)) {
                assertEquals("CACHED", t.path("status").asText(), t::toString);
                assertEquals(firstId, t.path("cached_from").asText(), t::toString);
                assertEquals(0, t.path("attempts").asInt(), t::toString);
            } else {
                assertEquals("SUCCESS", t.path("status").asText(), t::toString);
                assertEquals(1, t.path("attempts").asInt(), t::toString);
            }
        }
        assertEquals(lunch, Cluster.JSON.readTree(cluster.consumableText(second.path("id").asText(), "lunch")), "the same lunch");

        // refresh cooks the sauce again from the cached onions and tomatoes
        JsonNode third = cook("""
                {"refresh": ["pour_tomatoes"]}""");
        assertEquals("SUCCESS", Cluster.task(third, "pour_tomatoes").path("status").asText());
        assertEquals("CACHED", Cluster.task(third, "cut_tomatoes").path("status").asText());

        // the CLI prints seed 001's plan
        CancelIT.Cli cli = CancelIT.Cli.run("plan", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(),
                "--pipeline", pasta);
        assertEquals(0, cli.exitCode(), cli::toString);
        assertTrue(cli.out().contains(" [*] ( ) pour_tomatoes"), cli::toString);
        assertTrue(cli.out().contains(" [x] (H) pan_fry"), cli::toString);
    }

    @Test
    void theGraphPictureShowsTheStepReusedUnderTwoNames() {
        Cluster.Response svg = cluster.get("/api/v1/pipelines/" + pasta + "/graph?format=svg");
        assertEquals(200, svg.status(), svg::toString);
        for (String node : Set.of("salt_water", "salt_tomatoes", "pour_tomatoes", "pan_fry", "pantry", "lunch")) {
            assertTrue(svg.text().contains(">" + node + "<"), node + " drawn");
        }
        // each node's label names the processor it runs: both salt nodes run `salt`
        Cluster.Response dot = cluster.get("/api/v1/pipelines/" + pasta + "/graph?format=dot");
        assertTrue(dot.text().contains("[label=\"salt_water\\nsalt\""), dot::text);
        assertTrue(dot.text().contains("[label=\"salt_tomatoes\\nsalt\""), dot::text);
    }
}
