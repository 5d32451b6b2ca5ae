package dev.pipewright.worker.store;

import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.worker.processor.TaskFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Large values without an object store: everything inline as before, references refused with the reason. */
class LargeValuesTest {
    @TempDir
    Path dir;

    @Test
    void withoutAnObjectStoreAValueOfAnySizeStaysInline() throws Exception {
        Path file = dir.resolve("out");
        byte[] big = new byte[(int) LargeValues.NONE.inlineMax() * 2];
        Files.write(file, big);
        assertArrayEquals(big, LargeValues.NONE.fromFile("j", "n", 1, "out", file));
        Map<String, byte[]> outputs = Map.of("out", big);
        assertSame(outputs, LargeValues.NONE.store("j", "n", 1, outputs));
        assertFalse(LargeValues.NONE.enabled());
    }

    @Test
    void aCommandsOutputThatStartsWithTheMarkerIsRefused() throws Exception {
        Path file = dir.resolve("out");
        Files.write(file, new ObjectRef("pwdata", "elsewhere/x", 3, null, "text/plain").encode());
        TaskFailure f = assertThrows(TaskFailure.class, () -> LargeValues.NONE.fromFile("j", "n", 1, "out", file));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("starts with the bytes Pipewright reserves for object references"), f.getMessage());
    }

    @Test
    void aReferenceWithoutAnObjectStoreFailsTheTaskWithTheReason() throws Exception {
        byte[] ref = new ObjectRef("pwdata", "store/jobs/j/n/1/out", 3, null, "text/plain").encode();
        TaskFailure f = assertThrows(TaskFailure.class, () -> LargeValues.NONE.load(Map.of("in", ref)));
        assertTrue(f.getMessage().contains("this worker has no object store (PW_DATA_STORE)"), f.getMessage());
        assertThrows(TaskFailure.class, () -> LargeValues.NONE.toFile("in", ref, dir.resolve("in")));
        // small plain values pass untouched, at no cost
        Map<String, byte[]> plain = Map.of("in", "x".getBytes());
        assertSame(plain, LargeValues.NONE.load(plain));
        assertFalse(LargeValues.anyRef(plain));
        assertTrue(LargeValues.anyRef(Map.of("in", ref)));
    }
}
