package dev.pipewright.overseer.datastore;

import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.data.S3Uri;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A data store on a file system (a shared volume in containers), confined to its root directory:
 * each read and write resolves the real location of its path (symbolic links followed) when it
 * happens and refuses one outside the root, since the file system may change between a job's
 * submission and its use. A write goes to a temporary file beside its target, then is renamed onto
 * it; the temporary file is removed whatever fails.
 */
public final class FileDataStore implements DataStore {
    private final Path root;
    /** Where large consumables are read from when a sink copies one here; null without an object store. */
    private final ObjectStore objects;

    public FileDataStore(Path root) {
        this(root, null);
    }

    public FileDataStore(Path root, ObjectStore objects) {
        this.root = root.toAbsolutePath().normalize();
        this.objects = objects;
    }

    @Override
    public ObjectStore objects() {
        return objects;
    }

    public Path root() {
        return root;
    }

    /**
     * Entries at the root other than the owners' and the shared areas (hidden ones aside): data
     * from before areas existed, which no source names any more (docs/data-store.md, "Upgrading").
     */
    public java.util.List<String> legacyEntries() throws IOException {
        if (!Files.isDirectory(root)) {
            return java.util.List.of();
        }
        try (var entries = Files.list(root)) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".") && !n.equals(DataPaths.OWNERS) && !n.equals(DataPaths.SHARED)).sorted().toList();
        }
    }

    /** The path under the root, checked as text (see {@link DataPaths#problem}); nothing on disk is read. */
    Path resolve(String path) throws Refused {
        if (S3Uri.is(path)) {
            // never a directory named "s3:" under the root
            throw new Refused("'" + path + "' is in the object store, and no object store is configured here");
        }
        String problem = path == null ? "no path" : DataPaths.problem(path);
        if (problem != null) {
            throw new Refused(problem);
        }
        Path p;
        try {
            p = root.resolve(path).normalize();
        } catch (InvalidPathException e) {
            throw new Refused("'" + path + "' is not a valid path: " + e.getReason());
        }
        if (!p.startsWith(root) || p.equals(root)) {
            throw new Refused("path '" + path + "' leaves the data store root");
        }
        return p;
    }

    /** The root's real location (it may itself be a symbolic link, to a mounted volume say). */
    private Path realRoot() throws IOException {
        Files.createDirectories(root);
        return root.toRealPath();
    }

    /**
     * Refuses {@code p} when its real location leaves the root: the deepest part of it that exists is
     * resolved with its symbolic links followed (a dangling link at {@code p} itself is refused).
     */
    private void confine(Path p, String path) throws IOException {
        Path realRoot = realRoot();
        Path existing = p;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return;
        }
        Path real;
        try {
            real = existing.toRealPath();
        } catch (NoSuchFileException e) {
            throw new Refused("'" + path + "' goes through a symbolic link to nothing (" + existing.getFileName() + ")");
        }
        if (!real.startsWith(realRoot)) {
            throw new Refused("'" + path + "' leaves the data store through a symbolic link");
        }
    }

    @Override
    public byte[] read(String path) throws IOException {
        Path p = resolve(path);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        confine(p, path);
        Path real = p.toRealPath();
        if (Files.isDirectory(real)) {
            throw new Refused("'" + path + "' is a directory, not a file");
        }
        try {
            // the checked location itself, so a link swapped in after the check is not followed out
            return notRef(path, Files.readAllBytes(real));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * The bytes, refused when they start with the object reference marker: such a value would be taken
     * for a reference the platform wrote (see {@link ObjectRef}).
     */
    static byte[] notRef(String path, byte[] bytes) throws Refused {
        if (bytes != null && ObjectRef.startsWithMagic(bytes, bytes.length)) {
            throw new Refused("'" + path + "' starts with the bytes Pipewright reserves for object references (\\0pw-object-ref:)");
        }
        return bytes;
    }

    @Override
    public void write(String path, byte[] bytes) throws IOException {
        writeWith(path, tmp -> Files.write(tmp, bytes));
    }

    @Override
    public void copy(String path, ObjectRef ref) throws IOException {
        if (objects == null) {
            throw new Refused("'" + path + "' would hold " + ref.uri() + ", and no object store is configured to read it from");
        }
        // streamed into the temporary file: a large consumable never sits in the overseer's memory
        writeWith(path, tmp -> objects.download(ref, tmp));
    }

    private interface Filler {
        void fill(Path tmp) throws IOException;
    }

    private void writeWith(String path, Filler filler) throws IOException {
        Path target = resolve(path);
        confine(target, path);
        refuseDirectory(target, path);
        Path parent = target.getParent();
        Files.createDirectories(parent);
        confine(parent, path); // again: a link may have appeared while the directories were made
        Path tmp = Files.createTempFile(parent, ".pw-", ".tmp");
        try {
            filler.fill(tmp);
            refuseDirectory(target, path);
            // a rename replaces a symbolic link at the target itself; it never writes through it
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void refuseDirectory(Path target, String path) throws Refused {
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new Refused("'" + path + "' is a directory in the data store; a data node's source must name a file");
        }
    }

    @Override
    public String writeProblem(String path) {
        try {
            Path target = resolve(path);
            confine(target, path);
            refuseDirectory(target, path);
            Path existing = target.getParent();
            while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing != null && !Files.isDirectory(existing)) {
                return "'" + path + "' cannot be written: " + root.relativize(existing) + " is a file, not a directory";
            }
            if (existing != null && !Files.isWritable(existing)) {
                return "'" + path + "' cannot be written: " + root.relativize(existing) + " is not writable by the overseer";
            }
            if (Files.exists(target) && !Files.isRegularFile(target)) {
                return "'" + path + "' is not a regular file";
            }
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }
}
