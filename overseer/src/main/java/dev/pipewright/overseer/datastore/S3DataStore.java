package dev.pipewright.overseer.datastore;

import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.data.S3Uri;
import dev.pipewright.protocol.message.ContentTypes;

import java.io.IOException;
import java.util.List;

/**
 * The data store in an S3-compatible object store ({@code PW_DATA_STORE=s3://bucket/prefix}): a
 * relative location ({@code owners/<owner>/...}, {@code shared/...}, placed by {@link DataPaths#locate})
 * is the object {@code <prefix><location>} in the bucket, laid out as the file store's directories.
 * A full {@code s3://bucket/key} location (a source in an allowed prefix, already checked at submit)
 * names its object as it is. With {@code relative} false, only full locations are served (the file
 * store keeps the relative ones: {@link RoutingDataStore}).
 */
public final class S3DataStore implements DataStore {
    private final ObjectStore objects;
    private final boolean relative;

    public S3DataStore(ObjectStore objects, boolean relative) {
        this.objects = objects;
        this.relative = relative;
    }

    /** Where a location is in the object store; refused as text like the file store refuses it. */
    S3Uri resolve(String path) throws Refused {
        if (path == null) {
            throw new Refused("no path");
        }
        String problem = DataPaths.problem(path);
        if (problem != null) {
            throw new Refused(problem);
        }
        if (S3Uri.is(path)) {
            S3Uri at = S3Uri.parse(path);
            if (objects.config().sources().stream().noneMatch(p -> p.holds(at))) {
                throw new Refused("'" + path + "' is not in a bucket and prefix allowed for sources: " + objects.config().sources());
            }
            return at;
        }
        if (!relative || objects.config().dataStore() == null) {
            throw new Refused("'" + path + "' is relative, and the data store is not the object store");
        }
        S3Uri root = objects.config().dataStore();
        return new S3Uri(root.bucket(), root.key() + path);
    }

    @Override
    public byte[] read(String path) throws IOException {
        return FileDataStore.notRef(path, objects.read(resolve(path)));
    }

    @Override
    public byte[] peekInput(String path) throws IOException {
        S3Uri at = resolve(path);
        long size = objects.size(at);
        if (size < 0 || size > objects.config().inlineMax() && objects.config().dataStore() != null) {
            return null;
        }
        return FileDataStore.notRef(path, objects.read(at));
    }

    @Override
    public byte[] readInput(String path, String job, String node) throws IOException {
        S3Uri at = resolve(path);
        long size = objects.size(at);
        if (size < 0) {
            return null;
        }
        if (size <= objects.config().inlineMax() || objects.config().dataStore() == null) {
            return FileDataStore.notRef(path, objects.read(at));
        }
        // pinned: a server-side copy in the job's prefix, which the job's readers use and its expiry removes
        S3Uri pinned = new S3Uri(objects.jobPrefix(job).bucket(), objects.jobPrefix(job).key() + "inputs/" + DataPaths.fileName(node));
        objects.copy(at, size, pinned);
        // no digest: computing one would stream the object through the overseer; the copy is pinned
        // in the job's prefix, which only the platform writes
        return new ObjectRef(pinned.bucket(), pinned.key(), size, null, ContentTypes.BINARY).encode();
    }

    @Override
    public void write(String path, byte[] bytes) throws IOException {
        objects.write(resolve(path), bytes, ContentTypes.sniff(bytes));
    }

    @Override
    public void copy(String path, ObjectRef ref) throws IOException {
        objects.copy(new S3Uri(ref.bucket(), ref.key()), ref.size(), resolve(path));
    }

    @Override
    public String writeProblem(String path) {
        try {
            S3Uri at = resolve(path);
            // at submit: a store that cannot be reached is said now, not after the task ran
            objects.checkBucket(at.bucket());
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    @Override
    public void purgeJob(String job) throws IOException {
        if (objects.config().dataStore() != null) {
            objects.deletePrefix(objects.jobPrefix(job));
        }
    }

    @Override
    public ObjectStore objects() {
        return objects;
    }

    @Override
    public List<S3Uri> allowedSources() {
        return objects.config().sources();
    }
}
