package dev.pipewright.overseer.datastore;

import dev.pipewright.protocol.data.DataPaths;

import java.io.IOException;

/**
 * Where data nodes with a {@code source} live outside Redis: job inputs are read from it, produced
 * data nodes are written to it. Paths are locations relative to the store's root, already resolved
 * from their {@code ${param}} placeholders and placed in an owner's area ({@link DataPaths#locate}).
 * Every read and write checks its path again when it happens (the file system may have changed
 * since the job was submitted) and refuses one that leaves the store with {@link Refused}.
 */
public interface DataStore {
    /** The bytes at path, or null when there is nothing there. */
    byte[] read(String path) throws IOException;

    void write(String path, byte[] bytes) throws IOException;

    /** What is wrong with writing to path now (a directory there, a symbolic link out of the store, not writable), or null. */
    String writeProblem(String path);

    /**
     * A path the store refuses for good: trying again cannot help (it names a directory, leaves the
     * store through a symbolic link, holds a NUL byte...). Other {@link IOException}s may pass.
     */
    final class Refused extends IOException {
        public Refused(String message) {
            super(message);
        }
    }
}
