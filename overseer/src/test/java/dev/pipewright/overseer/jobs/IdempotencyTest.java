package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class IdempotencyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String canonical(String json) throws Exception {
        return Idempotency.canonical(JSON.readTree(json));
    }

    @Test
    void spacingAndKeyOrderDoNotChangeTheCanonicalForm() throws Exception {
        String a = canonical("{\"parameters\": {\"x\": 3, \"y\": [1, 2]}, \"priority\": \"low\"}");
        String b = canonical("{ \"priority\":\"low\",\n  \"parameters\":{\"y\":[1,2],\"x\":3} }");
        assertEquals(a, b);
        assertEquals("{\"parameters\":{\"x\":3,\"y\":[1,2]},\"priority\":\"low\"}", a);
    }

    @Test
    void numbersCompareByValueAndTextIsEscaped() throws Exception {
        assertEquals(canonical("{\"x\": 1.50}"), canonical("{\"x\": 1.5}"));
        assertEquals(canonical("{\"x\": 0.0}"), canonical("{\"x\": 0}"));
        assertEquals("{\"a\\\"b\":\"c\\n\"}", canonical("{\"a\\\"b\": \"c\\n\"}"));
    }

    @Test
    void aDifferentRequestStaysDifferent() throws Exception {
        assertNotEquals(canonical("{\"x\": [1, 2]}"), canonical("{\"x\": [2, 1]}"), "list order matters");
        assertNotEquals(canonical("{\"x\": \"1\"}"), canonical("{\"x\": 1}"), "text is not a number");
        assertNotEquals(canonical("{\"x\": null}"), canonical("{}"));
        assertNotEquals(Idempotency.digest("POST", "/p", canonical("{\"x\": 1}")), Idempotency.digest("POST", "/p", canonical("{\"x\": 2}")));
    }
}
