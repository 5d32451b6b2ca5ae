package dev.pipewright.worker.processor;

/**
 * The code a worker runs for a process node. Implementations are found with
 * {@link java.util.ServiceLoader} (list them in {@code META-INF/services/dev.pipewright.worker.processor.Processor})
 * or are {@code exec} commands registered by the worker's operator. A processor must return a
 * value for every declared output; it may be interrupted when its attempt is cancelled or loses
 * its lease.
 */
public interface Processor {
    /** The name pipelines use in {@code processor:}. */
    String name();

    TaskResult process(TaskContext context) throws Exception;

    /**
     * Whether this processor always returns within microseconds and never blocks (no I/O, no
     * sleeping): the worker then runs it on its scheduling thread, without a thread of its own.
     * Such a run is not interrupted (it has ended before a stop could matter), has no timer for
     * its timeout, and takes none of the worker's {@code PW_CONCURRENCY} slots: a quick task starts
     * even while slow ones fill every slot.
     */
    default boolean quick() {
        return false;
    }

    /**
     * Whether this processor takes inputs that are object references as they are and stores its large
     * outputs itself (an exec command: streamed between files and the object store). Otherwise the
     * worker loads referenced inputs into memory (up to {@code PW_REF_LOAD_MAX}) and uploads outputs
     * over {@code PW_INLINE_MAX} to the object store when there is one.
     */
    default boolean readsReferences() {
        return false;
    }

    /**
     * The version memoised results of this processor are keyed by ({@code cache:} on a node): a new
     * version makes earlier results misses. By default the {@code Implementation-Version} of the jar
     * the class comes from, else {@code unversioned}; a processor whose behaviour changes without a
     * new jar version should say its own.
     */
    default String version() {
        String v = getClass().getPackage() == null ? null : getClass().getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "unversioned" : v;
    }

    /**
     * Whether the same inputs, config and version always give the same outputs. A processor that
     * says no (it reads the clock, a random source, a remote service) never reads or writes the
     * cache, and a pipeline that puts {@code cache:} on its node is refused.
     */
    default boolean deterministic() {
        return true;
    }
}
