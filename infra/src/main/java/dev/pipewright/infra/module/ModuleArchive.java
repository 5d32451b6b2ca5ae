package dev.pipewright.infra.module;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * What an uploaded module is and whether it is safe: one Python file, a zip, or a gzipped tar.
 * An archive is refused when an entry's path is absolute, climbs out ({@code ..}), is not plain
 * text, or is anything but a directory or a regular file (symbolic and hard links, devices), when
 * it has more than {@link Limits#maxEntries} entries or unpacks to more than
 * {@link Limits#maxUnpackedBytes} (counted while reading, so a zip bomb stops at the cap, whatever
 * its headers claim), or when its entry point is not one of its Python files. The overseer checks
 * at upload ({@link #inspect}); the worker checks again while it unpacks ({@link #unpack}), since
 * what it reads from Redis is only trusted as far as its digest.
 */
public final class ModuleArchive {
    /** One Python file. */
    public static final String PYTHON = "python";
    public static final String ZIP = "zip";
    public static final String TAR_GZ = "tar.gz";

    /** Caps on what an archive may unpack to. */
    public record Limits(int maxEntries, long maxUnpackedBytes) {
        public static final Limits DEFAULTS = new Limits(10_000, 256L * 1024 * 1024);
    }

    /** An archive (or file) found acceptable: its entry point and its regular files. */
    public record Inspection(String kind, String entry, List<String> files, long unpackedBytes) {
    }

    /** Why a module is refused; {@link #location()} names the archive entry at fault, or null. */
    public static final class Refused extends Exception {
        private final String location;

        public Refused(String location, String message) {
            super(message);
            this.location = location;
        }

        public String location() {
            return location;
        }
    }

    private ModuleArchive() {
    }

    /** The module kind a request's media type names, or null when it names none. */
    public static String kindOf(String mediaType) {
        if (mediaType == null) {
            return null;
        }
        return switch (mediaType.toLowerCase(Locale.ROOT)) {
            case "text/x-python", "text/x-script.python", "text/plain" -> PYTHON;
            case "application/zip", "application/x-zip-compressed" -> ZIP;
            case "application/gzip", "application/x-gzip", "application/x-tar+gzip" -> TAR_GZ;
            default -> null;
        };
    }

    /**
     * Checks a module and finds its entry point. For one Python file the entry is {@code <name>.py}
     * and {@code entry} must be null or that. For an archive, {@code entry} names a {@code .py} file
     * in it; when null, the one of {@code main.py}, {@code __main__.py}, {@code <name>.py} present
     * at the top (exactly one of them, else refused).
     */
    public static Inspection inspect(String name, String kind, byte[] content, String entry, Limits limits) throws Refused {
        if (PYTHON.equals(kind)) {
            String file = name + ".py";
            if (entry != null && !entry.equals(file)) {
                throw new Refused("entry", "a single-file module's entry is its own file '" + file + "', not '" + entry + "'");
            }
            if (content.length == 0) {
                throw new Refused(null, "the module file is empty");
            }
            if (!utf8(content)) {
                throw new Refused(null, "a Python module file must be UTF-8 text");
            }
            return new Inspection(PYTHON, file, List.of(file), content.length);
        }
        List<String> files = new ArrayList<>();
        long size = walk(kind, content, limits, (path, in) -> {
            files.add(path);
            return in.transferTo(OutputStream.nullOutputStream());
        }, null);
        TreeSet<String> set = new TreeSet<>(files);
        String chosen;
        if (entry != null) {
            String e = entry.startsWith("./") ? entry.substring(2) : entry;
            if (!e.endsWith(".py")) {
                throw new Refused("entry", "the entry point '" + entry + "' is not a Python file (.py)");
            }
            if (!set.contains(e)) {
                throw new Refused("entry", "the archive has no file '" + entry + "' (its Python files: " + pythonFiles(set) + ")");
            }
            chosen = e;
        } else {
            List<String> candidates = new ArrayList<>();
            for (String c : List.of("main.py", "__main__.py", name + ".py")) {
                if (set.contains(c)) {
                    candidates.add(c);
                }
            }
            if (candidates.size() != 1) {
                throw new Refused("entry", candidates.isEmpty()
                        ? "the archive has no entry point: none of main.py, __main__.py, " + name + ".py at its top; name one with"
                        + " ?entry=<path> (its Python files: " + pythonFiles(set) + ")"
                        : "the archive has more than one entry point " + candidates + "; name one with ?entry=<path>");
            }
            chosen = candidates.get(0);
        }
        return new Inspection(kind, chosen, List.copyOf(set), size);
    }

    /** Unpacks a module into {@code target} (an empty directory), with the same checks as {@link #inspect}. */
    public static void unpack(String name, String kind, byte[] content, Path target, Limits limits) throws Refused, IOException {
        if (PYTHON.equals(kind)) {
            Files.write(target.resolve(name + ".py"), content);
            return;
        }
        Path root = target.toAbsolutePath().normalize();
        IOException[] failed = {null};
        walk(kind, content, limits, (path, in) -> {
            Path file = root.resolve(path).normalize();
            if (!file.startsWith(root)) {
                throw new Refused(path, "the entry '" + path + "' leaves the module directory");
            }
            try {
                Files.createDirectories(file.getParent());
                try (OutputStream out = Files.newOutputStream(file, java.nio.file.StandardOpenOption.CREATE_NEW)) {
                    return in.transferTo(out);
                }
            } catch (IOException e) {
                failed[0] = e;
                throw new Refused(path, "cannot write '" + path + "': " + e.getMessage());
            }
        }, dir -> {
            Path d = root.resolve(dir).normalize();
            if (d.startsWith(root)) {
                try {
                    Files.createDirectories(d);
                } catch (IOException e) {
                    failed[0] = e;
                }
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
    }

    private interface FileVisitor {
        /** Consumes one regular file's bytes; returns how many it read. */
        long file(String path, InputStream in) throws Refused, IOException;
    }

    /** Walks an archive's entries, checking each; returns the unpacked size. */
    private static long walk(String kind, byte[] content, Limits limits, FileVisitor visitor, java.util.function.Consumer<String> dirs)
            throws Refused {
        long total = 0;
        int count = 0;
        try {
            if (ZIP.equals(kind)) {
                try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(content), StandardCharsets.UTF_8)) {
                    ZipEntry e;
                    boolean any = false;
                    while ((e = zip.getNextEntry()) != null) {
                        any = true;
                        count = count(++count, limits);
                        String path = safePath(e.getName());
                        if (e.isDirectory()) {
                            if (dirs != null) {
                                dirs.accept(path);
                            }
                            continue;
                        }
                        total += visitor.file(path, capped(zip, limits.maxUnpackedBytes() - total, path));
                    }
                    if (!any) {
                        throw new Refused(null, "not a zip archive, or an empty one");
                    }
                }
            } else if (TAR_GZ.equals(kind)) {
                try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(content)))) {
                    TarArchiveEntry e;
                    boolean any = false;
                    while ((e = tar.getNextEntry()) != null) {
                        any = true;
                        count = count(++count, limits);
                        String raw = e.getName();
                        if (e.isSymbolicLink() || e.isLink()) {
                            throw new Refused(raw, "the entry '" + raw + "' is a link; a module archive holds only files and directories");
                        }
                        String path = safePath(raw);
                        if (e.isDirectory()) {
                            if (dirs != null) {
                                dirs.accept(path);
                            }
                            continue;
                        }
                        if (!e.isFile()) {
                            throw new Refused(raw, "the entry '" + raw + "' is not a regular file (a device, a pipe or some other special file)");
                        }
                        total += visitor.file(path, capped(tar, limits.maxUnpackedBytes() - total, path));
                    }
                    if (!any) {
                        throw new Refused(null, "an empty archive");
                    }
                }
            } else {
                throw new Refused(null, "unknown module kind '" + kind + "'");
            }
        } catch (CapExceeded c) {
            throw new Refused(c.path, "the archive unpacks to more than " + limits.maxUnpackedBytes() + " bytes (PW_MAX_MODULE_UNPACKED_BYTES)");
        } catch (IOException | IllegalArgumentException e) {
            throw new Refused(null, "not a readable " + (ZIP.equals(kind) ? "zip" : "tar.gz") + " archive: " + e.getMessage());
        }
        return total;
    }

    private static int count(int count, Limits limits) throws Refused {
        if (count > limits.maxEntries()) {
            throw new Refused(null, "the archive has more than " + limits.maxEntries() + " entries");
        }
        return count;
    }

    /** An entry's path, checked: relative, no {@code ..}, no backslashes or control characters; without a trailing slash. */
    static String safePath(String raw) throws Refused {
        if (raw == null || raw.isEmpty()) {
            throw new Refused(raw, "an entry has no name");
        }
        String p = raw.startsWith("./") ? raw.substring(2) : raw;
        if (p.startsWith("/") || p.matches("^[A-Za-z]:.*")) {
            throw new Refused(raw, "the entry '" + raw + "' has an absolute path");
        }
        if (p.contains("\\")) {
            throw new Refused(raw, "the entry '" + raw + "' has a backslash in its path");
        }
        for (char c : p.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                throw new Refused(raw, "the entry '" + raw.replaceAll("\\p{Cntrl}", "?") + "' has a control character in its path");
            }
        }
        String trimmed = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        for (String part : trimmed.split("/", -1)) {
            if (part.equals("..")) {
                throw new Refused(raw, "the entry '" + raw + "' climbs out of the module directory (path traversal)");
            }
            if (part.isEmpty() && !trimmed.isEmpty()) {
                throw new Refused(raw, "the entry '" + raw + "' has an empty path segment");
            }
        }
        if (trimmed.isEmpty()) {
            throw new Refused(raw, "an entry names the archive's root");
        }
        return trimmed;
    }

    private static final class CapExceeded extends IOException {
        final String path;

        CapExceeded(String path) {
            super("over the unpacked size cap");
            this.path = path;
        }
    }

    /** A stream that fails once more than {@code left} bytes were read from it. */
    private static InputStream capped(InputStream in, long left, String path) {
        return new InputStream() {
            long remaining = left;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, (int) Math.min(len, Math.max(1, remaining + 1)));
                if (n > 0) {
                    remaining -= n;
                    if (remaining < 0) {
                        throw new CapExceeded(path);
                    }
                }
                return n;
            }

            @Override
            public void close() {
                // the archive stream is closed by its owner
            }
        };
    }

    private static boolean utf8(byte[] content) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(content));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    private static String pythonFiles(TreeSet<String> files) {
        List<String> py = files.stream().filter(f -> f.endsWith(".py")).limit(20).toList();
        return py.isEmpty() ? "none" : String.join(", ", py);
    }
}
