package dev.pipewright.worker.module;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The {@code pipewright} Python package (clients/python/src, standard library only) that the worker
 * jar carries, written once per content into {@code <cache>/python/<digest>/pipewright/} and put on
 * every module's {@code PYTHONPATH}: a module imports {@code from pipewright import processor}
 * whatever its requirements, without naming the package as one (the index a worker installs from
 * need not have it). The directory is named by the files' digest, so workers of different versions
 * sharing one cache each see their own.
 */
public final class PythonHelper {
    static final String RESOURCES = "/dev/pipewright/worker/module/python/pipewright/";
    static final List<String> FILES = List.of("__init__.py", "client.py", "errors.py", "pipelines.py", "processor.py", "py.typed");

    private final Path root;
    private volatile Path extracted;

    public PythonHelper(Path cache) {
        this.root = cache.resolve("python");
    }

    /** The directory to put on {@code PYTHONPATH} (it holds {@code pipewright/}), written on first use. */
    public Path path() throws IOException {
        Path done = extracted;
        if (done != null && Files.isDirectory(done)) {
            return done;
        }
        synchronized (this) {
            Map<String, byte[]> files = files();
            Path dir = root.resolve(digest(files));
            if (!Files.isDirectory(dir.resolve("pipewright"))) {
                Files.createDirectories(root);
                Path tmp = root.resolve(".write-" + UUID.randomUUID());
                Files.createDirectories(tmp.resolve("pipewright"));
                try {
                    for (Map.Entry<String, byte[]> f : files.entrySet()) {
                        Files.write(tmp.resolve("pipewright").resolve(f.getKey()), f.getValue());
                    }
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("the module cache " + root + " cannot rename directories atomically", e);
                } catch (IOException e) {
                    // another attempt or worker on this host renamed the same content into place first (Linux
                    // answers ENOTEMPTY, which the JDK reports as a plain FileSystemException under ATOMIC_MOVE)
                    if (!Files.isDirectory(dir)) {
                        throw e;
                    }
                }
            }
            extracted = dir;
            return dir;
        }
    }

    private static Map<String, byte[]> files() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : FILES) {
            try (InputStream in = PythonHelper.class.getResourceAsStream(RESOURCES + name)) {
                if (in == null) {
                    throw new IOException("this worker jar lacks the pipewright Python package (" + RESOURCES + name
                            + "); it is built from clients/python/src");
                }
                files.put(name, in.readAllBytes());
            }
        }
        return files;
    }

    private static String digest(Map<String, byte[]> files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                md.update(f.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(Long.toString(f.getValue().length).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(f.getValue());
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
