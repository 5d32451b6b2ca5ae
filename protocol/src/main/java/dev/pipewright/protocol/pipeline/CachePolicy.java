package dev.pipewright.protocol.pipeline;

import java.time.Duration;

/**
 * A process node's memoisation ({@code cache:}): a later job whose task has the same cache key
 * reuses the stored outputs instead of running. {@code key} says what the key is made of besides
 * the processor's identity and version and the node's config: the inputs' digests only, or those
 * and the job's parameters. {@code ttl} is how long an entry is kept.
 */
public record CachePolicy(Key key, Duration ttl) {
    public static final Duration DEFAULT_TTL = Duration.ofDays(30);
    public static final Duration MAX_TTL = Duration.ofDays(3650);

    /** {@code cache: true}. */
    public static final CachePolicy DEFAULT = new CachePolicy(Key.INPUTS, DEFAULT_TTL);

    public enum Key {
        INPUTS("inputs"),
        INPUTS_AND_PARAMS("inputs+params");

        private final String wireName;

        Key(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        public static Key fromWire(String name) {
            for (Key k : values()) {
                if (k.wireName.equals(name)) {
                    return k;
                }
            }
            return null;
        }
    }
}
