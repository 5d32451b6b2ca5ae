package dev.pipewright.overseer.shards;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;

import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * How an overseer shares the shards with others. By default ({@code PW_SHARD_LEASES=on}) the
 * overseers alive split the shards evenly between them, each holding a lease of
 * {@code PW_SHARD_LEASE} per shard (renewed every third of it), and take over the shards of one
 * that stops renewing. With {@code PW_SHARD_LEASES=off} an overseer serves exactly the shards
 * {@code PW_SHARDS_SERVED} lists (default: all), as soon as no one else holds them, and never takes
 * another's: an operator's fixed assignment, in which a dead overseer's shards wait for it.
 */
public record ShardConfig(boolean balanced, Duration lease, SortedSet<Integer> served) {
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(10);

    public ShardConfig {
        if (lease.toMillis() < 300) {
            throw new ConfigException("PW_SHARD_LEASE must be at least 300ms, got " + lease.toMillis() + "ms");
        }
        served = new TreeSet<>(served);
    }

    /** How often leases are renewed and the shares looked at again. */
    public Duration renewEvery() {
        return Duration.ofMillis(lease.toMillis() / 3);
    }

    public static ShardConfig from(Settings s, int shards) {
        String mode = s.string("PW_SHARD_LEASES", "on").trim().toLowerCase(java.util.Locale.ROOT);
        if (!mode.equals("on") && !mode.equals("off")) {
            throw new ConfigException("PW_SHARD_LEASES must be 'on' (overseers share the shards and take over a dead one's) or 'off' "
                    + "(each serves the shards PW_SHARDS_SERVED lists), got '" + mode + "'");
        }
        Duration lease = s.duration("PW_SHARD_LEASE", DEFAULT_LEASE);
        String served = s.string("PW_SHARDS_SERVED", "").trim();
        if (mode.equals("on") && !served.isEmpty()) {
            throw new ConfigException("PW_SHARDS_SERVED is for PW_SHARD_LEASES=off; with leases on the overseers share every shard");
        }
        return new ShardConfig(mode.equals("on"), lease, parse(served, shards));
    }

    /** {@code "0,2,5-7"} → those shards; empty → all of them. */
    static SortedSet<Integer> parse(String list, int shards) {
        BitSet set = new BitSet(shards);
        if (list.isEmpty()) {
            set.set(0, shards);
        }
        for (String part : list.isEmpty() ? List.<String>of() : List.of(list.split(","))) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
                int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).trim());
                if (from < 0 || to >= shards || from > to) {
                    throw new ConfigException("PW_SHARDS_SERVED: '" + p + "' is not within shards 0.." + (shards - 1) + " (PW_SHARDS=" + shards + ")");
                }
                set.set(from, to + 1);
            } catch (NumberFormatException e) {
                throw new ConfigException("PW_SHARDS_SERVED: '" + p + "' is neither a shard number nor a range like 2-5");
            }
        }
        SortedSet<Integer> out = new TreeSet<>();
        set.stream().forEach(out::add);
        return out;
    }
}
