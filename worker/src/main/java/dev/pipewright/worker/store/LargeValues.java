package dev.pipewright.worker.store;

import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.infra.objectstore.ObjectStoreConfig;
import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.data.S3Uri;
import dev.pipewright.worker.processor.TaskFailure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Consumables larger than {@code PW_INLINE_MAX} in the object store: the worker writes them there
 * itself (streamed from the command's output file, in parts) and commits only their
 * {@link ObjectRef}; it reads referenced inputs from there (streamed into the command's input file,
 * or into memory for a Java processor up to {@link #loadMax}). Without an object store
 * ({@code PW_DATA_STORE} not {@code s3://}) every value stays inline in Redis as before. Nothing here
 * costs anything for a small value: a length or prefix comparison.
 */
public final class LargeValues {
    /** The largest referenced input a Java (in-process) processor gets in memory by default ({@code PW_REF_LOAD_MAX}). */
    public static final int DEFAULT_LOAD_MAX = (int) ObjectStoreConfig.DEFAULT_REF_LOAD_MAX;
    private static final java.util.concurrent.ConcurrentHashMap<ObjectStoreConfig, LargeValues> BY_CONFIG = new java.util.concurrent.ConcurrentHashMap<>();
    /** No object store: every value inline, as before. */
    public static final LargeValues NONE = new LargeValues(null, ObjectStoreConfig.DEFAULT_INLINE_MAX, DEFAULT_LOAD_MAX);

    private final ObjectStore objects;
    private final long inlineMax;
    private final int loadMax;

    LargeValues(ObjectStore objects, long inlineMax, int loadMax) {
        this.objects = objects;
        this.inlineMax = inlineMax;
        this.loadMax = loadMax;
    }

    /** The large values of a worker with this object store configuration (one client per configuration in a process). */
    public static LargeValues of(ObjectStoreConfig config) {
        if (config == null || config.dataStore() == null) {
            return NONE;
        }
        return BY_CONFIG.computeIfAbsent(config, c -> new LargeValues(new ObjectStore(c), c.inlineMax(), c.refLoadMax()));
    }

    /** Whether large values go to the object store. */
    public boolean enabled() {
        return objects != null;
    }

    public long inlineMax() {
        return inlineMax;
    }

    /** Where an attempt's output object goes: {@code <prefix>jobs/<job>/<node>/<attempt>/<output>}. */
    S3Uri outputKey(String job, String node, int attempt, String output) {
        S3Uri prefix = objects.jobPrefix(job);
        return new S3Uri(prefix.bucket(), prefix.key() + DataPaths.fileName(node) + "/" + attempt + "/" + DataPaths.fileName(output));
    }

    /** Checks that a reference is one of the platform's: in the data store's bucket, under its jobs' prefix. */
    private S3Uri checked(ObjectRef ref) throws TaskFailure {
        if (objects == null) {
            throw TaskFailure.permanent("an input is the object " + ref.uri() + ", and this worker has no object store (PW_DATA_STORE)");
        }
        S3Uri jobs = new S3Uri(objects.config().dataStore().bucket(), objects.config().dataStore().key() + "jobs/");
        S3Uri at = new S3Uri(ref.bucket(), ref.key());
        if (!jobs.holds(at)) {
            throw TaskFailure.permanent("an input names the object " + ref.uri() + ", outside " + jobs + " where the platform keeps consumables");
        }
        return at;
    }

    /** Writes an input for a command: the bytes, or the referenced object streamed from the store. */
    public void toFile(String name, byte[] value, Path file) throws IOException, TaskFailure {
        if (!ObjectRef.isRef(value)) {
            Files.write(file, value);
            return;
        }
        ObjectRef ref = ObjectRef.decode(value);
        checked(ref);
        try {
            objects.download(ref, file);
        } catch (ObjectStore.Unreachable e) {
            throw TaskFailure.retryable("input '" + name + "': " + e.getMessage());
        } catch (IOException e) {
            throw TaskFailure.permanent("input '" + name + "': " + e.getMessage());
        }
    }

    /**
     * A command's output file as the commit takes it: its bytes while at most {@code PW_INLINE_MAX}
     * (or while there is no object store), else uploaded and referenced. A file that starts with the
     * reference marker is refused (it would be read as a reference).
     */
    public byte[] fromFile(String job, String node, int attempt, String output, Path file) throws IOException, TaskFailure {
        long size = Files.size(file);
        byte[] head = new byte[ObjectRef.MAGIC.length];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (ObjectRef.startsWithMagic(head, n)) {
            throw TaskFailure.permanent("output '" + output + "' starts with the bytes Pipewright reserves for object references");
        }
        if (objects == null || size <= inlineMax) {
            return Files.readAllBytes(file);
        }
        try {
            return objects.upload(file, outputKey(job, node, attempt, output)).encode();
        } catch (ObjectStore.Unreachable e) {
            throw TaskFailure.retryable("output '" + output + "': " + e.getMessage());
        }
    }

    /** A Java processor's inputs: referenced ones loaded into memory, up to {@code PW_REF_LOAD_MAX} each. */
    public Map<String, byte[]> load(Map<String, byte[]> inputs) throws IOException, TaskFailure {
        Map<String, byte[]> out = null;
        for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
            if (ObjectRef.isRef(e.getValue())) {
                if (out == null) {
                    out = new LinkedHashMap<>(inputs);
                }
                ObjectRef ref = ObjectRef.decode(e.getValue());
                checked(ref);
                if (ref.size() > loadMax) {
                    throw TaskFailure.permanent("input '" + e.getKey() + "' is " + ref.size() + " bytes in the object store; a Java processor gets "
                            + "an input in memory up to " + loadMax + " bytes (PW_REF_LOAD_MAX): use an exec processor, which reads it as a file");
                }
                java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream((int) ref.size());
                try {
                    objects.download(ref, buffer);
                } catch (ObjectStore.Unreachable u) {
                    throw TaskFailure.retryable("input '" + e.getKey() + "': " + u.getMessage());
                } catch (IOException io) {
                    throw TaskFailure.permanent("input '" + e.getKey() + "': " + io.getMessage());
                }
                out.put(e.getKey(), buffer.toByteArray());
            }
        }
        return out == null ? inputs : out;
    }

    /** A Java processor's outputs: those over {@code PW_INLINE_MAX} uploaded and referenced (with an object store). */
    public Map<String, byte[]> store(String job, String node, int attempt, Map<String, byte[]> outputs) throws IOException, TaskFailure {
        if (objects == null) {
            return outputs;
        }
        Map<String, byte[]> out = null;
        for (Map.Entry<String, byte[]> e : outputs.entrySet()) {
            byte[] v = e.getValue();
            if (v != null && v.length > inlineMax) {
                if (out == null) {
                    out = new LinkedHashMap<>(outputs);
                }
                try {
                    out.put(e.getKey(), objects.upload(v, outputKey(job, node, attempt, e.getKey())).encode());
                } catch (ObjectStore.Unreachable u) {
                    throw TaskFailure.retryable("output '" + e.getKey() + "': " + u.getMessage());
                }
            }
        }
        return out == null ? outputs : out;
    }

    /** Whether any value is a reference (an attempt with one does not run on the scheduling thread). */
    public static boolean anyRef(Map<String, byte[]> values) {
        for (byte[] v : values.values()) {
            if (ObjectRef.isRef(v)) {
                return true;
            }
        }
        return false;
    }

    /** Deletes the objects of an attempt that will not commit them (failed, stopped, or no longer holding its task). */
    public void discard(Map<String, byte[]> values) {
        if (objects == null || values == null) {
            return;
        }
        for (byte[] v : values.values()) {
            if (ObjectRef.isRef(v)) {
                ObjectRef ref = ObjectRef.decode(v);
                try {
                    objects.delete(new S3Uri(ref.bucket(), ref.key()));
                } catch (IOException e) {
                    // the job's prefix goes when the job expires
                }
            }
        }
    }
}
