package dev.pipewright.overseer.datastore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A data store on a file system (a shared volume in containers), confined to its root directory. */
public final class FileDataStore implements DataStore {
    private final Path root;

    public FileDataStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    Path resolve(String path) throws IOException {
        Path p = root.resolve(path).normalize();
        if (!p.startsWith(root) || path.isBlank()) {
            throw new IOException("path '" + path + "' leaves the data store root");
        }
        return p;
    }

    @Override
    public byte[] read(String path) throws IOException {
        try {
            return Files.readAllBytes(resolve(path));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void write(String path, byte[] bytes) throws IOException {
        Path target = resolve(path);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".pw-", ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
