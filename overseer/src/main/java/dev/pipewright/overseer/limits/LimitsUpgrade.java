package dev.pipewright.overseer.limits;

import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ZAddArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Moves concurrency limits kept by an earlier version (namespace-wide {@code <ns>:limits},
 * {@code <ns>:slots:*}, {@code <ns>:held:*}) to the {@code {limits}} slot, once, at an overseer's
 * start: each limit is set again the current way, and each task or job that waited for a slot
 * enters its shard's wait set, so the slot sweep asks for it (nothing that waited is left behind).
 * Slots held under the old keys are not carried over: those tasks run on, uncounted, as tasks
 * running when a limit is set do. Running it again, or from two overseers at once, does no harm.
 */
public final class LimitsUpgrade {
    private static final Logger LOG = LoggerFactory.getLogger(LimitsUpgrade.class);

    private LimitsUpgrade() {
    }

    /** Returns how many limits it moved. */
    public static int run(Keys keys, RedisClusterAsyncCommands<String, String> redis, StateGateway state) throws Exception {
        String old = keys.namespace() + ":limits";
        Map<String, String> limits = redis.hgetall(old).get(10, TimeUnit.SECONDS);
        for (Map.Entry<String, String> e : limits.entrySet()) {
            int colon = e.getKey().indexOf(':');
            String kind = e.getKey().substring(0, colon);
            String name = e.getKey().substring(colon + 1);
            state.limit(kind, name, e.getValue());
            String held = keys.namespace() + ":held:" + e.getKey();
            List<String> waiting = redis.zrange(held, 0, -1).get(30, TimeUnit.SECONDS);
            for (String member : waiting) {
                String[] p = member.split("\\|", 3);
                if (p.length < 2 || !p[0].chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String wait = p.length == 3 ? "t|" + p[1] + "|" + p[2] : "j|" + p[1];
                // scored 0: the oldest possible, so the slot sweep asks for it in its first round
                redis.zadd(keys.slotWaits(Integer.parseInt(p[0])), ZAddArgs.Builder.nx(), ScoredValue.just(0, wait)).get(10, TimeUnit.SECONDS);
            }
            redis.del(held, keys.namespace() + ":slots:" + e.getKey()).get(10, TimeUnit.SECONDS);
            redis.hdel(old, e.getKey()).get(10, TimeUnit.SECONDS);
            LOG.info("moved the {} limit of '{}' ({}) to the {{limits}} slot, with {} waiting", kind, name, e.getValue(), waiting.size());
        }
        return limits.size();
    }
}
