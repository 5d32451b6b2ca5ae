package dev.pipewright.overseer.datastore;

import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.data.S3Uri;

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

    /**
     * Stores at path the object a reference names (a large consumable in the object store): a
     * server-side copy when the store is the object store too, else the bytes streamed.
     */
    void copy(String path, ObjectRef ref) throws IOException;

    /**
     * A job input's value read at submit: its bytes, or for an object larger than the inline limit an
     * encoded {@link ObjectRef} to a copy pinned in the job's own prefix
     * (so it cannot change under the job, and goes with it); null when there is nothing there.
     */
    default byte[] readInput(String path, String job, String node) throws IOException {
        return read(path);
    }

    /**
     * What a job submitted now would read from path, for a plan to compute with, without pinning
     * anything: its bytes, or null when there is nothing there or it is an object a job would take
     * by reference (too large to read for a plan).
     */
    default byte[] peekInput(String path) throws IOException {
        return read(path);
    }

    /** Deletes a job's own objects (large consumables, pinned inputs) when it expires; never a sink's copy. */
    default void purgeJob(String job) throws IOException {
    }

    /** The object store behind this data store (large consumables are read through it), or null when there is none. */
    default ObjectStore objects() {
        return null;
    }

    /** Prefixes a full {@code s3://} source may name (PW_S3_SOURCES); empty when none may. */
    default java.util.List<S3Uri> allowedSources() {
        return java.util.List.of();
    }

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
