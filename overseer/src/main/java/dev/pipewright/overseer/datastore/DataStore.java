package dev.pipewright.overseer.datastore;

import java.io.IOException;

/**
 * Where data nodes with a {@code source} live outside Redis: job inputs are read from it, produced
 * data nodes are written to it. Paths are relative, already resolved from their {@code ${param}}
 * placeholders.
 */
public interface DataStore {
    /** The bytes at path, or null when there is nothing there. */
    byte[] read(String path) throws IOException;

    void write(String path, byte[] bytes) throws IOException;
}
