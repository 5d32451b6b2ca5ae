package dev.pipewright.protocol.pipeline;

import java.util.Locale;

/**
 * A job's priority. Each pool has one queue per priority (RabbitMQ 3.10 quorum queues have no
 * message priorities): medium tasks use the pool's own queue, high and low ones its
 * {@code :high} and {@code :low} queues; a worker buffers what it received from the three and
 * starts the highest-priority task whenever a slot frees.
 */
public enum Priority {
    LOW, MEDIUM, HIGH;

    /** The names the API and the job hash use. */
    public static final java.util.List<String> NAMES = java.util.List.of("low", "medium", "high");
    /** A run without a priority is {@code low}. */
    public static final String RUN_DEFAULT = "low";
    /** A job submitted straight to a pipeline, outside any run. */
    public static final String JOB_DEFAULT = "medium";

    /** The routing key (and queue suffix) of this priority's queue of a pool. */
    public String routingKey(String pool) {
        return this == MEDIUM ? pool : pool + ":" + wireName();
    }

    /** The pool a routing key (or queue suffix) belongs to: {@code gpu:high} → {@code gpu}; pool names hold no ':'. */
    public static String poolOf(String routingKey) {
        int colon = routingKey.indexOf(':');
        return colon < 0 ? routingKey : routingKey.substring(0, colon);
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code low|medium|high} (any case); null is MEDIUM; anything else is refused. */
    public static Priority parse(String text) {
        if (text == null) {
            return MEDIUM;
        }
        for (Priority p : values()) {
            if (p.wireName().equalsIgnoreCase(text.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("priority must be low, medium or high, not '" + text + "'");
    }
}
