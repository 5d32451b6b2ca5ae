package dev.pipewright.worker.module;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VenvKeyTest {
    @Test
    void theSameSetInAnyOrderHasOneKeyAndAnyChangeMakesAnother() {
        String k = VenvKey.of(List.of("a==1", "b==2"), "3.11.7 x86_64", "http://127.0.0.1:1/simple");
        assertEquals(k, VenvKey.of(List.of("b==2", "a==1"), "3.11.7 x86_64", "http://127.0.0.1:1/simple"));
        assertNotEquals(k, VenvKey.of(List.of("a==1", "b==3"), "3.11.7 x86_64", "http://127.0.0.1:1/simple"));
        assertNotEquals(k, VenvKey.of(List.of("a==1", "b==2"), "3.12.0 x86_64", "http://127.0.0.1:1/simple"));
        assertNotEquals(k, VenvKey.of(List.of("a==1", "b==2"), "3.11.7 x86_64", null));
        assertTrue(k.matches("[0-9a-f]{32}"), k);
    }
}
