package dev.pipewright.infra.module;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleArchiveTest {
    private static final ModuleArchive.Limits LIMITS = ModuleArchive.Limits.DEFAULTS;

    @TempDir
    Path dir;

    static byte[] zip(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (var e : files.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    static byte[] tarGz(Map<String, String> files, String symlink) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (var e : files.entrySet()) {
                byte[] b = e.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
                entry.setSize(b.length);
                t.putArchiveEntry(entry);
                t.write(b);
                t.closeArchiveEntry();
            }
            if (symlink != null) {
                TarArchiveEntry link = new TarArchiveEntry(symlink, TarArchiveEntry.LF_SYMLINK);
                link.setLinkName("/etc/passwd");
                t.putArchiveEntry(link);
                t.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void aZipWithOneEntryPointIsAcceptedAndUnpacked() throws Exception {
        byte[] z = zip(Map.of("main.py", "import helper\n", "helper.py", "X = 1\n", "data/table.csv", "a,b\n"));
        ModuleArchive.Inspection i = ModuleArchive.inspect("m", ModuleArchive.ZIP, z, null, LIMITS);
        assertEquals("main.py", i.entry());
        assertEquals(List.of("data/table.csv", "helper.py", "main.py"), i.files());
        ModuleArchive.unpack("m", ModuleArchive.ZIP, z, dir, LIMITS);
        assertEquals("a,b\n", Files.readString(dir.resolve("data/table.csv")));
    }

    @Test
    void theEntryIsNamedOrFoundAndOtherwiseRefused() throws Exception {
        byte[] z = zip(Map.of("src/run.py", "print(1)\n", "lib.py", ""));
        ModuleArchive.Refused none = assertThrows(ModuleArchive.Refused.class, () -> ModuleArchive.inspect("m", ModuleArchive.ZIP, z, null, LIMITS));
        assertEquals("entry", none.location());
        assertTrue(none.getMessage().contains("no entry point"), none.getMessage());
        assertEquals("src/run.py", ModuleArchive.inspect("m", ModuleArchive.ZIP, z, "src/run.py", LIMITS).entry());
        assertThrows(ModuleArchive.Refused.class, () -> ModuleArchive.inspect("m", ModuleArchive.ZIP, z, "nope.py", LIMITS));
        byte[] two = zip(Map.of("main.py", "", "m.py", ""));
        assertTrue(assertThrows(ModuleArchive.Refused.class, () -> ModuleArchive.inspect("m", ModuleArchive.ZIP, two, null, LIMITS))
                .getMessage().contains("more than one entry point"));
        assertEquals("m.py", ModuleArchive.inspect("m", ModuleArchive.ZIP, zip(Map.of("m.py", "")), null, LIMITS).entry());
    }

    @Test
    void traversalAbsolutePathsAndLinksAreRefusedWithTheEntry() throws Exception {
        for (String bad : List.of("../evil.py", "a/../../evil.py", "/etc/cron.d/x", "a\\..\\b.py", "C:/x.py")) {
            Map<String, String> files = new LinkedHashMap<>();
            files.put("main.py", "");
            files.put(bad, "boom");
            ModuleArchive.Refused r = assertThrows(ModuleArchive.Refused.class,
                    () -> ModuleArchive.inspect("m", ModuleArchive.ZIP, zip(files), null, LIMITS), bad);
            assertEquals(bad, r.location());
            assertThrows(ModuleArchive.Refused.class, () -> ModuleArchive.unpack("m", ModuleArchive.ZIP, zip(files), dir, LIMITS), bad);
        }
        assertFalse(Files.exists(dir.getParent().resolve("evil.py")));
        ModuleArchive.Refused link = assertThrows(ModuleArchive.Refused.class,
                () -> ModuleArchive.inspect("m", ModuleArchive.TAR_GZ, tarGz(Map.of("main.py", ""), "passwd"), null, LIMITS));
        assertEquals("passwd", link.location());
        assertTrue(link.getMessage().contains("link"), link.getMessage());
    }

    @Test
    void aTarGzIsReadLikeAZip() throws Exception {
        byte[] t = tarGz(Map.of("pkg/__main__.py", "", "__main__.py", "print(1)\n"), null);
        assertEquals("__main__.py", ModuleArchive.inspect("m", ModuleArchive.TAR_GZ, t, null, LIMITS).entry());
        ModuleArchive.unpack("m", ModuleArchive.TAR_GZ, t, dir, LIMITS);
        assertEquals("print(1)\n", Files.readString(dir.resolve("__main__.py")));
        Map<String, String> evil = new LinkedHashMap<>();
        evil.put("main.py", "");
        evil.put("../../x.py", "");
        assertThrows(ModuleArchive.Refused.class, () -> ModuleArchive.inspect("m", ModuleArchive.TAR_GZ, tarGz(evil, null), null, LIMITS));
    }

    @Test
    void aZipBombStopsAtTheUnpackedCapAndTooManyEntriesAreRefused() throws Exception {
        byte[] bomb = zip(Map.of("main.py", "", "zeros.bin", "0".repeat(2_000_000)));
        assertTrue(bomb.length < 20_000, "compresses well: " + bomb.length);
        ModuleArchive.Refused r = assertThrows(ModuleArchive.Refused.class,
                () -> ModuleArchive.inspect("m", ModuleArchive.ZIP, bomb, null, new ModuleArchive.Limits(100, 1_000_000)));
        assertTrue(r.getMessage().contains("unpacks to more than 1000000 bytes"), r.getMessage());
        Map<String, String> many = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            many.put("f" + i + ".py", "");
        }
        assertTrue(assertThrows(ModuleArchive.Refused.class,
                () -> ModuleArchive.inspect("f1", ModuleArchive.ZIP, zip(many), null, new ModuleArchive.Limits(10, 1_000_000)))
                .getMessage().contains("more than 10 entries"));
    }

    @Test
    void garbageAndSingleFilesAreJudgedByTheirKind() throws Exception {
        assertThrows(ModuleArchive.Refused.class, () -> ModuleArchive.inspect("m", ModuleArchive.ZIP, "not a zip".getBytes(), null, LIMITS));
        assertThrows(ModuleArchive.Refused.class, () -> ModuleArchive.inspect("m", ModuleArchive.TAR_GZ, "not gz".getBytes(), null, LIMITS));
        assertEquals("m.py", ModuleArchive.inspect("m", ModuleArchive.PYTHON, "print(1)\n".getBytes(), null, LIMITS).entry());
        assertThrows(ModuleArchive.Refused.class, () -> ModuleArchive.inspect("m", ModuleArchive.PYTHON, new byte[]{(byte) 0xff, 0}, null, LIMITS));
        assertEquals(ModuleArchive.ZIP, ModuleArchive.kindOf("application/zip"));
        assertEquals(ModuleArchive.TAR_GZ, ModuleArchive.kindOf("application/gzip"));
        assertEquals(ModuleArchive.PYTHON, ModuleArchive.kindOf("text/x-python"));
    }
}
