package dev.pipewright.overseer.datastore;

import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.data.S3Uri;

import java.io.IOException;
import java.util.List;

/**
 * The file store for relative locations, the object store for full {@code s3://} ones (sources in
 * an allowed prefix, {@code PW_S3_SOURCES}) and for the jobs' own objects.
 */
public final class RoutingDataStore implements DataStore {
    private final DataStore files;
    private final S3DataStore objects;

    public RoutingDataStore(DataStore files, S3DataStore objects) {
        this.files = files;
        this.objects = objects;
    }

    private DataStore of(String path) {
        return S3Uri.is(path) ? objects : files;
    }

    @Override
    public byte[] read(String path) throws IOException {
        return of(path).read(path);
    }

    @Override
    public byte[] readInput(String path, String job, String node) throws IOException {
        return of(path).readInput(path, job, node);
    }

    @Override
    public byte[] peekInput(String path) throws IOException {
        return of(path).peekInput(path);
    }

    @Override
    public void write(String path, byte[] bytes) throws IOException {
        of(path).write(path, bytes);
    }

    @Override
    public void copy(String path, ObjectRef ref) throws IOException {
        of(path).copy(path, ref);
    }

    @Override
    public String writeProblem(String path) {
        return of(path).writeProblem(path);
    }

    @Override
    public void purgeJob(String job) throws IOException {
        objects.purgeJob(job);
    }

    @Override
    public ObjectStore objects() {
        return objects.objects();
    }

    @Override
    public List<S3Uri> allowedSources() {
        return objects.allowedSources();
    }
}
