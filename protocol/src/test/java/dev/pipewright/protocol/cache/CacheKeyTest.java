package dev.pipewright.protocol.cache;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheKeyTest {
    private static final String A = CacheKey.sha256("a".getBytes(StandardCharsets.UTF_8));
    private static final String B = CacheKey.sha256("b".getBytes(StandardCharsets.UTF_8));

    private static String key(String version, Map<String, Object> config, List<String> digests, String params) {
        return CacheKey.of("upper", version, config, List.of("x", "y"), List.of("out"), digests, params);
    }

    @Test
    void sha256OfKnownValue() {
        assertEquals("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb", A);
    }

    @Test
    void sameInputsGiveTheSameKeyWhateverTheConfigMapOrder() {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("a", 1);
        one.put("b", Map.of("z", 1, "y", List.of(1, 2)));
        Map<String, Object> two = new LinkedHashMap<>();
        two.put("b", Map.of("y", List.of(1, 2), "z", 1));
        two.put("a", 1);
        assertEquals(key("1", one, List.of(A, B), null), key("1", two, List.of(A, B), null));
        assertTrue(CacheKey.isKey(key("1", one, List.of(A, B), null)));
    }

    @Test
    void everyPartChangesTheKey() {
        String base = key("1", Map.of("k", 1), List.of(A, B), null);
        assertNotEquals(base, key("2", Map.of("k", 1), List.of(A, B), null), "version");
        assertNotEquals(base, key("1", Map.of("k", 2), List.of(A, B), null), "config");
        assertNotEquals(base, key("1", Map.of("k", 1), List.of(B, A), null), "input order");
        assertNotEquals(base, key("1", Map.of("k", 1), List.of(A, A), null), "an input's value");
        assertNotEquals(base, key("1", Map.of("k", 1), List.of(A, B), CacheKey.paramsDigest(Map.of())), "params");
        assertNotEquals(base, CacheKey.of("lower", "1", Map.of("k", 1), List.of("x", "y"), List.of("out"), List.of(A, B), null), "processor");
        assertNotEquals(base, CacheKey.of("upper", "1", Map.of("k", 1), List.of("x", "z"), List.of("out"), List.of(A, B), null), "input names");
        assertNotEquals(base, CacheKey.of("upper", "1", Map.of("k", 1), List.of("x", "y"), List.of("o2"), List.of(A, B), null), "output names");
    }

    @Test
    void paramsDigestIsCanonical() {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("n", 3);
        one.put("m", "x");
        assertEquals(CacheKey.paramsDigest(one), CacheKey.paramsDigest(Map.of("m", "x", "n", 3)));
        assertNotEquals(CacheKey.paramsDigest(one), CacheKey.paramsDigest(Map.of("m", "x", "n", 4)));
    }

    @Test
    void placeholdersInConfigBringTheParamsIn() {
        assertTrue(CacheKey.usesParams(false, Map.of("epochs", "${epochs}")));
        assertFalse(CacheKey.usesParams(false, Map.of("epochs", 5)));
        assertTrue(CacheKey.usesParams(true, Map.of()));
    }

    @Test
    void digestsMustMatchInputs() {
        assertThrows(IllegalArgumentException.class, () -> key("1", Map.of(), List.of(A), null));
    }
}
