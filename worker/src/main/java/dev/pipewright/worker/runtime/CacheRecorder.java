package dev.pipewright.worker.runtime;

import dev.pipewright.infra.log.LogSafe;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.protocol.cache.CacheEntry;
import dev.pipewright.protocol.cache.CacheKey;
import dev.pipewright.protocol.cache.CacheSpec;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.store.AttemptStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Looks a claimed task's memoised result up before its processor runs ({@link #lookup}), and
 * stores the result of a successful attempt of a node with {@code cache:} as a memoised result,
 * after its commit said {@code ok} (an attempt that lost its task, failed or was stopped stores
 * nothing). Its key is {@link CacheKey} of the task spec and the input values the attempt read,
 * so the overseer finds it at the next submit with the same key. Entries are written in calls of
 * their own, outside the job's shard: a lost write only costs a later run.
 * <p>
 * Not stored: a non-deterministic processor's result, one made by a processor whose version is not
 * the one pinned at submit (another worker announced another version), and a result with an output
 * that is an object reference (its object lives under the job's prefix and goes when the job is
 * purged, so a reused reference would dangle).
 */
final class CacheRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(CacheRecorder.class);

    private final AttemptStore store;

    CacheRecorder(AttemptStore store) {
        this.store = store;
    }

    /** Whether a committed attempt of this spec run by this processor would store an entry (no work for any other). */
    static boolean applies(TaskSpec spec, Processor processor) {
        CacheSpec cache = spec.cache();
        return cache != null && processor.deterministic() && (spec.module() != null || processor.version().equals(cache.version()));
    }

    /**
     * Whether the worker looks this task's result up before running it: the spec asks (the job did
     * not say {@code cache: false} or name the node in {@code refresh}) and it would store one.
     */
    static boolean looksUp(TaskSpec spec, Processor processor) {
        return applies(spec, processor) && spec.cache().lookup();
    }

    /**
     * The stored result for these input values, as the outputs to commit, or null. A node whose key
     * the overseer could not compute at submit (an input came from a task that ran) is found here
     * when that input turned out the same as when the result was stored.
     */
    Found lookup(TaskSpec spec, Map<String, byte[]> inputs) throws Exception {
        CacheSpec cache = spec.cache();
        List<String> digests = inputDigests(spec, inputs);
        if (digests == null) {
            return null;
        }
        String key = CacheKey.of(spec, cache.version(), digests, cache.params());
        CacheEntry entry = store.cacheEntry(key);
        if (entry == null || entry.expires() <= System.currentTimeMillis() || entry.outputs().size() != spec.outputs().size()) {
            return null;
        }
        Map<String, StateGateway.Output> outputs = new java.util.LinkedHashMap<>();
        for (int i = 0; i < entry.outputs().size(); i++) {
            CacheEntry.Output o = entry.outputs().get(i);
            outputs.put(spec.outputs().get(i), new StateGateway.Output(o.value(), o.contentType()));
        }
        return new Found(entry.job(), outputs);
    }

    /** The SHA-256 of each input value in the spec's order, or null when one is missing. */
    private static List<String> inputDigests(TaskSpec spec, Map<String, byte[]> inputs) {
        List<String> digests = new ArrayList<>();
        for (String in : spec.inputs()) {
            byte[] v = inputs.get(in);
            if (v == null) {
                return null;
            }
            digests.add(CacheKey.sha256(v));
        }
        return digests;
    }

    /** A result found by {@link #lookup}: the job it came from and the outputs to commit. */
    record Found(String job, Map<String, StateGateway.Output> outputs) {
    }

    /** The entry for a committed attempt, or null when one of its outputs is an object reference. */
    static CacheEntry entry(TaskMessage message, TaskSpec spec, Map<String, byte[]> inputs, Map<String, StateGateway.Output> outputs,
                            long now) {
        CacheSpec cache = spec.cache();
        List<String> digests = inputDigests(spec, inputs);
        if (digests == null) {
            return null;
        }
        List<CacheEntry.Output> stored = new ArrayList<>();
        for (String out : spec.outputs()) {
            StateGateway.Output o = outputs.get(out);
            if (o == null || ObjectRef.isRef(o.value())) {
                return null;
            }
            stored.add(new CacheEntry.Output(out, o.value(), o.contentType(), CacheKey.sha256(o.value())));
        }
        String key = CacheKey.of(spec, cache.version(), digests, cache.params());
        return new CacheEntry(key, cache.pipeline(), message.node(), message.job(), spec.processor(), cache.version(), now,
                now + cache.ttlSeconds() * 1000L, List.copyOf(stored));
    }

    /** Stores the entry of a committed attempt, on a thread of its own (never the commit's). */
    void record(TaskMessage message, TaskSpec spec, Map<String, byte[]> inputs, Map<String, StateGateway.Output> outputs) {
        Thread.ofVirtual().start(() -> {
            try {
                CacheEntry entry = entry(message, spec, inputs, outputs, System.currentTimeMillis());
                if (entry == null) {
                    LOG.info("{}/{}: result not memoised: an output is an object reference (it goes with its job)",
                            message.job(), LogSafe.text(message.node()));
                    return;
                }
                store.putCacheEntry(entry);
            } catch (Exception e) {
                LOG.warn("{}/{}: cannot store the memoised result: {}", message.job(), LogSafe.text(message.node()), e.toString());
            }
        });
    }
}
