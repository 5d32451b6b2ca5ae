package dev.pipewright.overseer.release;

import io.lettuce.core.RedisCommandExecutionException;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The items of one shard (events, timers) that failed and wait for another try: how often each
 * failed, when it may be tried again (doubling back-off) and why. An item that failed
 * {@link #MAX_TRIES} times, or failed for good at once, is to be set aside. Kept in memory by the
 * one overseer that serves the shard: a new owner starts counting again, so an item is tried at
 * most {@link #MAX_TRIES} times per overseer that serves its shard. Not thread-safe.
 */
public final class Retries {
    /** Tries an item gets before it is set aside. */
    public static final int MAX_TRIES = 6;
    /** The wait after the first failure; it doubles after each further one, up to {@link #MAX_DELAY}. */
    public static final Duration FIRST_DELAY = Duration.ofMillis(500);
    public static final Duration MAX_DELAY = Duration.ofSeconds(30);

    /** One failing item: failures so far, when it is due again (epoch ms), and the last reason. */
    public record Failing(int tries, long dueAt, String reason) {
    }

    private final Map<String, Failing> failing = new HashMap<>();
    private final int maxTries;
    private final Duration first;
    private final Duration max;

    public Retries() {
        this(MAX_TRIES, FIRST_DELAY, MAX_DELAY);
    }

    public Retries(int maxTries, Duration first, Duration max) {
        if (maxTries < 1 || first.isNegative() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("retries need at least one try and 0 <= first delay <= max delay");
        }
        this.maxTries = maxTries;
        this.first = first;
        this.max = max;
    }

    /**
     * Notes a failure of {@code item} at {@code now}; true when it is to be set aside now: it failed
     * for good ({@code permanent}) or used up its tries.
     */
    public boolean failed(String item, String reason, boolean permanent, long now) {
        Failing before = failing.get(item);
        int tries = before == null ? 1 : before.tries() + 1;
        if (permanent || tries >= maxTries) {
            failing.remove(item);
            return true;
        }
        failing.put(item, new Failing(tries, now + delay(tries).toMillis(), reason));
        return false;
    }

    /**
     * Puts off {@code item} without counting a try: it failed for a reason that is not its own (the
     * store was unreachable), so it must not use up its tries.
     */
    public void postpone(String item, String reason, long now) {
        Failing before = failing.get(item);
        int tries = before == null ? 0 : before.tries();
        failing.put(item, new Failing(tries, now + delay(Math.max(1, tries)).toMillis(), reason));
    }

    /** The wait after the {@code tries}-th failure. */
    Duration delay(int tries) {
        long ms = first.toMillis() << Math.min(20, tries - 1);
        return ms < 0 || ms > max.toMillis() ? max : Duration.ofMillis(ms);
    }

    /** Whether {@code item} failed before and its next try is not due yet. */
    public boolean waiting(String item, long now) {
        Failing f = failing.get(item);
        return f != null && f.dueAt() > now;
    }

    /** Whether {@code item} failed before (its next try is to be made alone). */
    public boolean failedBefore(String item) {
        return failing.containsKey(item);
    }

    /** When the earliest waiting item is due (epoch ms), or {@link Long#MAX_VALUE} when none waits. */
    public long nextDue() {
        long next = Long.MAX_VALUE;
        for (Failing f : failing.values()) {
            next = Math.min(next, f.dueAt());
        }
        return next;
    }

    /** The item went through (or is gone): it is forgotten. */
    public void succeeded(String item) {
        failing.remove(item);
    }

    /**
     * Forgets every item not in {@code present}: those that went through after all (a call whose
     * reply was lost had done its work) or were taken away. Without this an item that can never come
     * back stays due for ever.
     */
    public void retainOnly(java.util.Set<String> present) {
        failing.keySet().retainAll(present);
    }

    public boolean isEmpty() {
        return failing.isEmpty();
    }

    public Failing get(String item) {
        return failing.get(item);
    }

    /** An error the script itself raised (the event's own state), not a store that did not answer. */
    public static boolean refusedByScript(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisCommandExecutionException) {
                String m = String.valueOf(t.getMessage());
                // a Redis that is loading, busy or read-only (a failover) is the store's state, not the event's
                return !(m.startsWith("LOADING") || m.startsWith("BUSY") || m.startsWith("READONLY") || m.startsWith("MASTERDOWN")
                        || m.startsWith("NOSCRIPT") || m.startsWith("CLUSTERDOWN") || m.startsWith("TRYAGAIN"));
            }
        }
        return false;
    }

}
