package dev.pipewright.infra.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonSchemasTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static final String ORDER = """
            {"type": "object", "required": ["items"],
             "properties": {"items": {"type": "array", "items": {"type": "object", "required": ["price"],
                                      "properties": {"price": {"type": "number"}}}}}}""";

    @Test
    void aConformingValueHasNoViolations() throws Exception {
        assertEquals(List.of(), JsonSchemas.violations(json(ORDER), json("{\"items\": [{\"price\": 2.5}]}")));
    }

    @Test
    void aViolationNamesItsPlaceInTheValue() throws Exception {
        List<String> v = JsonSchemas.violations(json(ORDER), json("{\"items\": [{\"price\": \"cheap\"}]}"));
        assertEquals(1, v.size(), v.toString());
        assertTrue(v.get(0).startsWith("/items/0/price: "), v.get(0));
        assertTrue(v.get(0).contains("number"), v.get(0));
    }

    @Test
    void aMissingPropertyIsReportedAtItsParent() throws Exception {
        List<String> v = JsonSchemas.violations(json(ORDER), json("{}"));
        assertEquals(1, v.size(), v.toString());
        assertTrue(v.get(0).startsWith("/: "), v.get(0));
        assertTrue(v.get(0).contains("items"), v.get(0));
    }

    @Test
    void bytesThatAreNotJsonAreOneViolation() throws Exception {
        List<String> v = JsonSchemas.violations(json(ORDER), "not json".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, v.size());
        assertTrue(v.get(0).startsWith("not JSON: "), v.get(0));
    }

    @Test
    void manyViolationsAreCutToABoundedList() throws Exception {
        StringBuilder items = new StringBuilder("{\"items\": [");
        for (int i = 0; i < 50; i++) {
            items.append(i == 0 ? "" : ",").append("{\"price\": \"x\"}");
        }
        List<String> v = JsonSchemas.violations(json(ORDER), json(items + "]}"));
        assertEquals(JsonSchemas.MAX_VIOLATIONS + 1, v.size());
        assertEquals("… and 40 more", v.get(v.size() - 1));
    }

    @Test
    void aValidSchemaHasNoProblems() throws Exception {
        assertEquals(List.of(), JsonSchemas.problems(json(ORDER)));
        assertEquals(List.of(), JsonSchemas.problems(json("{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"type\": \"integer\"}")));
        assertEquals(List.of(), JsonSchemas.problems(json("true")));
        assertEquals(List.of(), JsonSchemas.problems(json("{\"$defs\": {\"p\": {\"type\": \"number\"}}, \"$ref\": \"#/$defs/p\"}")));
    }

    @Test
    void aKeywordOfTheWrongShapeIsRefusedWithItsPlaceInTheSchema() throws Exception {
        List<String> p = JsonSchemas.problems(json("{\"properties\": {\"price\": {\"type\": \"nmber\"}}}"));
        assertFalse(p.isEmpty());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("/properties/price/type: ")), p.toString());
        assertFalse(JsonSchemas.problems(json("{\"minimum\": \"five\"}")).isEmpty());
        assertFalse(JsonSchemas.problems(json("{\"required\": \"price\"}")).isEmpty());
    }

    @Test
    void anotherDraftIsRefused() throws Exception {
        List<String> p = JsonSchemas.problems(json("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"type\": \"object\"}"));
        assertEquals(1, p.size());
        assertTrue(p.get(0).contains("only draft 2020-12"), p.get(0));
    }

    @Test
    void aReferenceOutsideTheSchemaIsRefusedAndNothingIsFetched() throws Exception {
        assertFalse(JsonSchemas.problems(json("{\"$ref\": \"http://127.0.0.1:9/evil.json\"}")).isEmpty());
        assertFalse(JsonSchemas.problems(json("{\"$ref\": \"classpath:logback.xml\"}")).isEmpty());
        assertFalse(JsonSchemas.problems(json("{\"$ref\": \"#/$defs/missing\"}")).isEmpty());
    }

    @Test
    void jsonContentTypes() {
        assertTrue(JsonSchemas.isJsonType("application/json"));
        assertTrue(JsonSchemas.isJsonType("application/geo+json; charset=utf-8"));
        assertFalse(JsonSchemas.isJsonType("text/csv"));
    }
}
