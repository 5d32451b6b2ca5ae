package dev.pipewright.overseer.shards;

import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.loop.PeriodicLoop;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Range;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;

/**
 * The shards this overseer serves, held by leases in Redis ({@code lease.lua}). Every round it
 * tells the others it is alive, renews its leases, gives up the shards above its fair share
 * (the shard count divided by the overseers alive, rounded up) so a newcomer gets some, and takes
 * free or lapsed shards up to its share: a dead overseer's shards are served again within one
 * lease time. Whoever serves a shard learns of it through {@link Serving}: a shard is stopped
 * before its lease is given up, and every call that serves it carries the lease's fencing token,
 * so two overseers never act on one shard at once.
 */
public final class ShardLeases extends PeriodicLoop {
    private static final Logger LOG = LoggerFactory.getLogger(ShardLeases.class);

    /** What starts and stops serving one shard (its event processor). */
    public interface Serving {
        void start(ShardLease lease);

        /** Returns once nothing of this overseer works on the shard any more. */
        void stop(int shard);
    }

    private final Keys keys;
    private final String owner;
    private final ShardConfig config;
    private final StateGateway state;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Serving serving;
    private final ConcurrentSkipListMap<Integer, ShardLease> held = new ConcurrentSkipListMap<>();
    private volatile int alive = 1;
    /** When the last round went through (System.nanoTime), for readiness. */
    private volatile long lastRound = Long.MIN_VALUE;
    /** This process among any others wrongly given the same id: its start (ms, Redis clock) and a random nonce. */
    private String process;
    private long startedMs;
    private boolean wroteProcess;
    /** Another live process has this overseer's id and started earlier: this one serves nothing. */
    private volatile boolean duplicate;
    /** Shards a fixed assignment waits for (someone else holds them), said once each. */
    private final java.util.Set<Integer> waitingSaid = new java.util.HashSet<>();

    public ShardLeases(Keys keys, String owner, ShardConfig config, StateGateway state, RedisClusterAsyncCommands<String, String> redis, Serving serving) {
        super(config.renewEvery());
        this.keys = keys;
        this.owner = owner;
        this.config = config;
        this.state = state;
        this.redis = redis;
        this.serving = serving;
    }

    /** The lease on {@code shard}, while this overseer serves it. */
    public Optional<ShardLease> lease(int shard) {
        return Optional.ofNullable(held.get(shard));
    }

    /** The leases held now, by shard. */
    public List<ShardLease> held() {
        return new ArrayList<>(held.values());
    }

    /** How many overseers were alive at the last round (this one included). */
    public int alive() {
        return alive;
    }

    /**
     * Whether the leases are in hand: the last round went through within one lease time. An
     * overseer that cannot reach Redis to renew them loses its shards, and says so to readiness.
     */
    public boolean healthy() {
        long last = lastRound;
        return !duplicate && last != Long.MIN_VALUE && System.nanoTime() - last < config.lease().toNanos();
    }

    @Override
    protected synchronized void round() throws Exception {
        balance();
        lastRound = System.nanoTime();
    }

    private void balance() throws Exception {
        // one reading of Redis's clock serves the round: the process record and the membership
        long now = redisMillis();
        if (sharesItsId(now)) {
            return;
        }
        renew();
        if (!config.balanced()) {
            take(config.served().size(), 0);
            return;
        }
        redis.zadd(keys.overseers(), now + config.lease().toMillis(), owner).get(10, TimeUnit.SECONDS);
        redis.zremrangebyscore(keys.overseers(), Range.create(Double.NEGATIVE_INFINITY, (double) now)).get(10, TimeUnit.SECONDS);
        List<String> members = new ArrayList<>(redis.zrange(keys.overseers(), 0, -1).get(10, TimeUnit.SECONDS));
        Collections.sort(members);
        Map<String, String> counts = redis.hgetall(keys.overseerShares()).get(10, TimeUnit.SECONDS);
        alive = Math.max(1, members.size());
        int floor = keys.shards() / alive;
        int ceil = (keys.shards() + alive - 1) / alive;
        // an overseer below the even share (a newcomer) makes those above it give shards up
        boolean starving = members.stream().anyMatch(m -> !m.equals(owner) && count(counts.get(m)) < floor);
        int cap = starving ? floor : ceil;
        while (held.size() > cap && running()) {
            give(held.lastKey(), "rebalancing: " + alive + " overseers share " + keys.shards() + " shards");
        }
        // while a newcomer waits for its share, taking back up to the ceiling would retake what was just given
        if (held.size() < cap && running()) {
            take(cap, Math.max(0, members.indexOf(owner)));
        }
        redis.hset(keys.overseerShares(), owner, Integer.toString(held.size())).get(10, TimeUnit.SECONDS);
        List<String> gone = counts.keySet().stream().filter(m -> !members.contains(m)).toList();
        if (!gone.isEmpty()) {
            redis.hdel(keys.overseerShares(), gone.toArray(String[]::new)).get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Whether another live process runs under this overseer's id and started first: then this one
     * gives its shards up, says so at ERROR every round and is not ready, rather than taking the
     * shards back and forth with it at every round. Each process writes {@code <start>:<nonce>:<now>}
     * under the id; finding someone else's entry after having written one means another process
     * wrote since. A restart under the same id is not one: the old process writes no more.
     */
    private boolean sharesItsId(long now) throws Exception {
        if (process == null) {
            startedMs = now;
            process = now + ":" + Long.toHexString(new java.security.SecureRandom().nextLong());
        }
        String seen = redis.hget(keys.overseerProcesses(), owner).get(10, TimeUnit.SECONDS);
        if (seen != null && !seen.startsWith(process + ":")) {
            String[] other = seen.split(":");
            long otherStart = other.length == 3 ? parse(other[0]) : Long.MAX_VALUE;
            long otherWritten = other.length == 3 ? parse(other[2]) : 0;
            boolean alive = now - otherWritten < config.lease().toMillis();
            boolean older = otherStart < startedMs || (otherStart == startedMs && seen.compareTo(process) < 0);
            if ((wroteProcess || duplicate) && alive && older) {
                if (!duplicate) {
                    for (Integer shard : new ArrayList<>(held.keySet())) {
                        give(shard, "another overseer runs under the same id");
                    }
                }
                duplicate = true;
                LOG.error("another live overseer runs under PW_INSTANCE_ID={} (started before this one): this one serves no shard and "
                        + "is not ready; give every overseer an id of its own", owner);
                return true;
            }
        }
        if (duplicate) {
            LOG.warn("the other overseer under PW_INSTANCE_ID={} is gone: serving shards again", owner);
        }
        duplicate = false;
        redis.hset(keys.overseerProcesses(), owner, process + ":" + now).get(10, TimeUnit.SECONDS);
        wroteProcess = true;
        return false;
    }

    private static long parse(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int count(String value) {
        try {
            return value == null ? 0 : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void renew() throws Exception {
        for (ShardLease lease : held()) {
            if (!state.renewLease(lease, config.lease())) {
                // taken over (after a pause longer than the lease, or by a process given the same id)
                LOG.warn("shard {}: lease lost to another overseer; stopping it", lease.shard());
                held.remove(lease.shard());
                serving.stop(lease.shard());
            }
        }
    }

    /** Takes free shards up to {@code share}, starting at a different place per overseer so that newcomers rarely race for one shard. */
    private void take(int share, int position) throws Exception {
        List<Integer> candidates = new ArrayList<>(config.served());
        int start = candidates.isEmpty() ? 0 : (position * share) % candidates.size();
        for (int i = 0; i < candidates.size() && held.size() < share && running(); i++) {
            int shard = candidates.get((start + i) % candidates.size());
            if (!held.containsKey(shard)) {
                Optional<ShardLease> lease = state.takeLease(shard, owner, config.lease());
                lease.ifPresent(this::serve);
                if (lease.isEmpty() && !config.balanced() && waitingSaid.add(shard)) {
                    LOG.info("shard {}: held by another overseer; waiting for it (PW_SHARDS_SERVED, leases off)", shard);
                }
            }
        }
    }

    private void serve(ShardLease lease) {
        waitingSaid.remove(lease.shard());
        held.put(lease.shard(), lease);
        LOG.info("shard {}: serving it (lease token {})", lease.shard(), lease.token());
        serving.start(lease);
    }

    private void give(int shard, String why) {
        ShardLease lease = held.remove(shard);
        if (lease == null) {
            return;
        }
        serving.stop(shard);
        try {
            state.giveLease(lease);
            LOG.info("shard {}: handed over ({})", shard, why);
        } catch (Exception e) {
            LOG.warn("shard {}: cannot give the lease up ({}); it lapses by itself", shard, e.toString());
        }
    }

    /** Stops serving every shard and gives the leases up, so the others take them over at once. */
    public synchronized void close() {
        stop();
        for (Integer shard : new ArrayList<>(held.keySet())) {
            give(shard, "shutting down");
        }
        try {
            redis.zrem(keys.overseers(), owner).get(5, TimeUnit.SECONDS);
            redis.hdel(keys.overseerShares(), owner).get(5, TimeUnit.SECONDS);
            if (!duplicate && process != null) {
                redis.hdel(keys.overseerProcesses(), owner).get(5, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.debug("cannot leave the overseer list ({}); it lapses by itself", e.toString());
        }
    }

    /** One round now: the first, before the API opens, so a lone overseer serves every shard from its first moment. */
    public void balanceNow() throws Exception {
        round();
    }

    private long redisMillis() throws Exception {
        List<String> time = redis.time().get(10, TimeUnit.SECONDS);
        return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }

    /** The shards served now, for loops that go through them one by one. */
    public Collection<Integer> shards() {
        return held.keySet();
    }
}
