package dev.pipewright.overseer.datastore;

import dev.pipewright.protocol.data.ObjectRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileDataStoreTest {
    @TempDir
    Path dir;

    private FileDataStore store() throws Exception {
        return new FileDataStore(Files.createDirectories(dir.resolve("root")));
    }

    @Test
    void writesAndReadsAFileInsideTheRoot() throws Exception {
        FileDataStore store = store();
        store.write("owners/a/out/x.txt", "hi".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), store.read("owners/a/out/x.txt"));
        assertNull(store.read("owners/a/none.txt"));
        assertNull(store.writeProblem("owners/a/out/y.txt"));
    }

    @Test
    void aDirectoryAtTheTargetIsRefusedForGoodAndLeavesNoTemporaryFile() throws Exception {
        FileDataStore store = store();
        Path target = Files.createDirectories(store.root().resolve("owners/a/out"));
        DataStore.Refused e = assertThrows(DataStore.Refused.class, () -> store.write("owners/a/out", new byte[]{1}));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
        assertNotNull(store.writeProblem("owners/a/out"));
        assertTrue(Files.isDirectory(target));
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertEquals(1, files.count(), "no .pw-*.tmp left beside it");
        }
        assertThrows(DataStore.Refused.class, () -> store.read("owners/a/out"));
    }

    @Test
    void symbolicLinksOutOfTheRootAreRefusedForReadingAndWriting() throws Exception {
        FileDataStore store = store();
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.createDirectories(store.root().resolve("owners/a"));
        Files.createSymbolicLink(store.root().resolve("owners/a/link"), outside);
        Files.createSymbolicLink(store.root().resolve("owners/a/file"), outside.resolve("secret.txt"));

        assertThrows(DataStore.Refused.class, () -> store.read("owners/a/link/secret.txt"), "a linked directory");
        assertThrows(DataStore.Refused.class, () -> store.read("owners/a/file"), "a linked file");
        assertThrows(DataStore.Refused.class, () -> store.write("owners/a/link/new.txt", new byte[]{1}));
        assertThrows(DataStore.Refused.class, () -> store.write("owners/a/link/deeper/new.txt", new byte[]{1}));
        assertNotNull(store.writeProblem("owners/a/link/new.txt"));
        assertFalse(Files.exists(outside.resolve("new.txt")));
        assertFalse(Files.exists(outside.resolve("deeper")), "no directory made outside");
        assertEquals("secret", Files.readString(outside.resolve("secret.txt")));
    }

    @Test
    void aSymbolicLinkInsideTheRootIsFollowed() throws Exception {
        FileDataStore store = store();
        store.write("shared/in/x.txt", "x".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(store.root().resolve("owners/a"));
        Files.createSymbolicLink(store.root().resolve("owners/a/in"), store.root().resolve("shared/in"));
        assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), store.read("owners/a/in/x.txt"));
    }

    @Test
    void pathsThatAreNotValidSourcesAreRefusedNotThrownAsSomethingElse() throws Exception {
        FileDataStore store = store();
        for (String bad : new String[]{"a\0b", "../x", "/etc/passwd", ""}) {
            assertThrows(DataStore.Refused.class, () -> store.read(bad), bad);
            assertThrows(DataStore.Refused.class, () -> store.write(bad, new byte[]{1}), bad);
            assertNotNull(store.writeProblem(bad), bad);
        }
    }

    @Test
    void anObjectStoreLocationIsNeverAFileUnderTheRoot() throws Exception {
        FileDataStore store = store();
        DataStore.Refused read = assertThrows(DataStore.Refused.class, () -> store.read("s3://lake/owners/a/x"));
        assertTrue(read.getMessage().contains("is in the object store, and no object store is configured here"), read.getMessage());
        assertThrows(DataStore.Refused.class, () -> store.write("s3://lake/owners/a/x", new byte[1]));
        assertFalse(Files.exists(store.root().resolve("s3:")));
    }

    @Test
    void aFileThatStartsWithTheReferenceMarkerIsRefusedAsAnInput() throws Exception {
        FileDataStore store = store();
        store.write("owners/a/forged", new ObjectRef("b", "k", 1, null, "text/plain").encode());
        DataStore.Refused refused = assertThrows(DataStore.Refused.class, () -> store.read("owners/a/forged"));
        assertTrue(refused.getMessage().contains("reserves for object references"), refused.getMessage());
        // a sink holding a reference needs an object store to read it from
        assertThrows(DataStore.Refused.class,
                () -> store.copy("owners/a/out", new ObjectRef("b", "k", 1, null, "text/plain")));
    }
}
