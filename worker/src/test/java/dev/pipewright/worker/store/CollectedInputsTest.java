package dev.pipewright.worker.store;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The collect mark is told from any value by its prefix alone (what every claim pays). */
class CollectedInputsTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void onlyTheMarkIsAMark() {
        assertTrue(CollectedInputs.isMark(utf8("\0pw-collect:1\n{\"n\":3}")));
        assertFalse(CollectedInputs.isMark(utf8("[1,2,3]")));
        assertFalse(CollectedInputs.isMark(utf8("\0pw-object-ref:1\n{}")), "a large value's reference is no mark");
        assertFalse(CollectedInputs.isMark(utf8("\0pw-coll")), "a prefix of the mark is no mark");
        assertFalse(CollectedInputs.isMark(null));
        assertFalse(CollectedInputs.isMark(new byte[0]));
    }

    @Test
    void anyLooksAtEveryInput() {
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        inputs.put("a", utf8("x"));
        assertFalse(CollectedInputs.any(inputs));
        inputs.put("b", utf8("\0pw-collect:1\n{\"n\":0}"));
        assertTrue(CollectedInputs.any(inputs));
    }
}
