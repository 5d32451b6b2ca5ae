package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Typed data nodes on real services: a pipeline whose schema is not a valid draft 2020-12 schema
 * (or sits on a non-JSON type) is refused with the place of each problem; a job input that breaks its
 * type or schema, given inline or read from the data store, is refused at submit with the place in
 * the value; an output that breaks its schema fails its task once, for good, with the schema's
 * message; and a declared type is the content type the consumable is served with.
 */
class TypedDataIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(40);
    private static final String ORDER_SCHEMA = """
            {type: object, required: [items],
             properties: {items: {type: array, items: {type: object, required: [price], properties: {price: {type: number}}}}}}""";

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(4).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<String> problems(Cluster.Response r) {
        List<String> out = new ArrayList<>();
        JsonNode list = r.json().has("error") ? r.json().path("error").path("problems") : r.json().path("problems");
        list.forEach(p -> out.add(p.path("path").asText() + ": " + p.path("message").asText()));
        return out;
    }

    private static boolean has(List<String> problems, String start, String part) {
        return problems.stream().anyMatch(p -> p.startsWith(start) && p.contains(part));
    }

    @Test
    void validateAndCreateRefuseBadSchemasWithTheirPlaces() {
        String yaml = """
                name: bad-schemas
                parameters: {epochs: {type: integer, default: 2}}
                dataNodes:
                  orders: {type: application/json, schema: {type: object, properties: {price: {type: nmber}}}}
                  table: {type: text/csv, schema: {type: object}}
                  old: {schema: {$schema: "http://json-schema.org/draft-07/schema#"}}
                  remote: {schema: {$ref: "http://127.0.0.1:9/schema.json"}}
                  out: {}
                  out2: {}
                processNodes:
                  train:
                    input: [orders, table, old, remote]
                    output: [out]
                    processor: noop
                    config: {epochs: 0, seed: "${seed}"}
                    configSchema: {type: object, properties: {epochs: {type: integer, minimum: 1}}}
                  other:
                    input: [orders]
                    output: [out2]
                    processor: noop
                    config: {epochs: 0}
                    configSchema: {properties: {epochs: {minimum: "one"}}}
                """;
        Cluster.Response validated = cluster.post("/api/v1/pipelines/validate", yaml, "application/yaml");
        assertEquals(200, validated.status(), validated::toString);
        assertFalse(validated.json().path("valid").asBoolean());
        List<String> first = problems(validated);
        // the validator's own rules come first; the schema library's once those pass
        assertTrue(has(first, "dataNodes.table.schema: ", "type 'text/csv' is not JSON"), first::toString);
        assertTrue(has(first, "processNodes.train.config.seed: ", "${seed} names no declared parameter"), first::toString);

        String fixed = yaml.replace("table: {type: text/csv, schema: {type: object}}", "table: {type: text/csv}")
                .replace("seed: \"${seed}\"", "seed: 1");
        Cluster.Response created = cluster.post("/api/v1/pipelines", fixed, "application/yaml");
        assertEquals(400, created.status(), created::toString);
        List<String> p = problems(created);
        assertTrue(has(p, "dataNodes.orders.schema: /properties/price/type: ", ""), p::toString);
        assertTrue(has(p, "dataNodes.old.schema: /$schema: ", "only draft 2020-12"), p::toString);
        assertTrue(has(p, "dataNodes.remote.schema: ", "http://127.0.0.1:9/schema.json"), p::toString);
        assertTrue(has(p, "processNodes.other.configSchema: /properties/epochs/minimum: ", ""), p::toString);
        // a static config without placeholders is checked against its schema now
        assertTrue(has(p, "processNodes.train.config: /epochs: ", "1"), p::toString);
        assertTrue(cluster.get("/api/v1/pipelines/bad-schemas").status() == 404, "nothing stored");
    }

    @Test
    void anInlineInputThatBreaksItsTypeOrSchemaIsRefusedAtSubmitWithItsPlace() {
        cluster.postPipeline("""
                name: typed-inline
                dataNodes:
                  orders: {type: application/json, schema: %s}
                  copy: {}
                processNodes:
                  pass: {input: [orders], output: [copy], processor: identity}
                """.formatted(ORDER_SCHEMA));
        Cluster.Response bad = cluster.submitRaw("typed-inline", """
                {"inputs": {"orders": {"items": [{"price": 3}, {"price": "cheap"}]}}}""");
        assertEquals(400, bad.status(), bad::toString);
        List<String> p = problems(bad);
        assertEquals(1, p.size(), p::toString);
        assertTrue(p.get(0).startsWith("inputs.orders: /items/1/price: "), p::toString);
        assertTrue(p.get(0).contains("number"), p::toString);

        Cluster.Response notJson = cluster.submitRaw("typed-inline", """
                {"inputs": {"orders": "items: none"}}""");
        assertEquals(400, notJson.status(), notJson::toString);
        assertTrue(has(problems(notJson), "inputs.orders: ", "not JSON (type application/json)"), notJson::toString);

        String job = cluster.submit("typed-inline", """
                {"inputs": {"orders": {"items": [{"price": 3}]}}}""");
        assertEquals("SUCCESS", cluster.awaitJob(job, TIMEOUT).path("status").asText());
    }

    @Test
    void anInputReadFromTheDataStoreIsCheckedAtSubmitAndItsDeclaredTypeIsItsContentType() throws Exception {
        Files.createDirectories(cluster.dataArea());
        Files.writeString(cluster.dataArea().resolve("orders.json"), "{\"items\": [{\"cost\": 1}]}");
        cluster.postPipeline("""
                name: typed-source
                dataNodes:
                  orders: {source: orders.json, type: application/vnd.orders+json, schema: %s}
                  copy: {}
                processNodes:
                  pass: {input: [orders], output: [copy], processor: identity}
                """.formatted(ORDER_SCHEMA));
        Cluster.Response bad = cluster.submitRaw("typed-source", "{}");
        assertEquals(400, bad.status(), bad::toString);
        List<String> p = problems(bad);
        assertEquals(1, p.size(), p::toString);
        assertTrue(p.get(0).startsWith("dataNodes.orders.source: 'owners/admin/orders.json': /items/0: "), p::toString);
        assertTrue(p.get(0).contains("price"), p::toString);

        Files.writeString(cluster.dataArea().resolve("orders.json"), "{\"items\": [{\"price\": 1.5}]}");
        String job = cluster.submit("typed-source", "{}");
        assertEquals("SUCCESS", cluster.awaitJob(job, TIMEOUT).path("status").asText());
        Cluster.Response orders = cluster.consumable(job, "orders");
        assertEquals(200, orders.status(), orders::toString);
        assertTrue(orders.contentType().startsWith("application/vnd.orders+json"), orders::toString);
    }

    @Test
    void anOutputThatBreaksItsSchemaFailsItsTaskOnceForGoodWithTheSchemasMessage() {
        cluster.postPipeline("""
                name: typed-output
                dataNodes:
                  raw: {}
                  orders: {type: application/json, schema: %s}
                processNodes:
                  make:
                    input: [raw]
                    output: [orders]
                    processor: identity
                    retries: {max: 3, backoff: fixed, initial: 100ms}
                """.formatted(ORDER_SCHEMA));
        String job = cluster.submit("typed-output", """
                {"inputs": {"raw": "{\\"items\\": [{\\"price\\": true}]}"}}""");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode task = Cluster.task(view, "make");
        assertEquals("FAILED", task.path("status").asText(), task::toString);
        assertEquals(1, task.path("attempts").asInt(), "a schema violation is not retried: " + task);
        String error = task.path("error").asText();
        assertTrue(error.startsWith("output 'orders' does not match its schema: /items/0/price: "), error);
        assertEquals(404, cluster.consumable(job, "orders").status(), "nothing committed");

        String good = cluster.submit("typed-output", """
                {"inputs": {"raw": "{\\"items\\": [{\\"price\\": 9}]}"}}""");
        assertEquals("SUCCESS", cluster.awaitJob(good, TIMEOUT).path("status").asText());
        Cluster.Response orders = cluster.consumable(good, "orders");
        assertTrue(orders.contentType().startsWith("application/json"), orders::toString);
        assertEquals("{\"items\": [{\"price\": 9}]}", orders.text());
    }
}
