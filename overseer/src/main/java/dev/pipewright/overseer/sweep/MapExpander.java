package dev.pipewright.overseer.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.KeyValue;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Expands groups (process nodes that run once per item of a mapped list) into item tasks, one
 * bounded {@code map.lua} chunk after the other, on a virtual thread per group. Started by the
 * sweeper for a due {@code m|<job>|<group>} timer; every chunk moves that timer out by
 * {@link #PATIENCE}, so an overseer that dies mid-expansion leaves it due for the shard's next
 * owner, which resumes at the group's stored {@code next} index (a chunk applies only there).
 */
final class MapExpander {
    private static final Logger LOG = LoggerFactory.getLogger(MapExpander.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Items written per call: what keeps one call short (like a big job's 250 tasks per chunk). */
    static final int CHUNK = 250;
    /** How long an expansion may pause before another overseer takes it up. */
    static final Duration PATIENCE = Duration.ofSeconds(30);

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final StateGateway state;
    private final PublisherPool publishers;
    private final OverseerMetrics metrics;
    /** Groups being expanded by this process ({@code <job>|<group>}). */
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    MapExpander(Keys keys, RedisClusterAsyncCommands<String, String> redis, StateGateway state, PublisherPool publishers,
                OverseerMetrics metrics) {
        this.keys = keys;
        this.redis = redis;
        this.state = state;
        this.publishers = publishers;
        this.metrics = metrics;
    }

    /** Starts expanding the group unless this process already does. */
    void start(ShardLease lease, JobId job, String group) {
        String member = job.value() + "|" + group;
        if (!running.add(member)) {
            return;
        }
        Thread.ofVirtual().name("map-" + member).start(() -> {
            try {
                expand(lease, job, group);
            } catch (ShardLease.Lost e) {
                LOG.warn("expansion of {}/{} stopped: {}", job, group, e.getMessage());
            } catch (Exception e) {
                // the group's timer stays set: the sweeper starts it again once it is due
                LOG.error("expansion of {}/{} failed; it is resumed after {}", job, group, PATIENCE, e);
            } finally {
                running.remove(member);
            }
        });
    }

    private void expand(ShardLease lease, JobId job, String group) throws Exception {
        List<String> g = values(redis.hmget(keys.task(job, group), "state", "map", "next").get(10, TimeUnit.SECONDS));
        if (g.get(1) == null) {
            return; // gone, or not a group
        }
        JsonNode map = JSON.readTree(g.get(1));
        String list = map.get("l").asText();
        boolean split = false;
        for (JsonNode i : map.get("i")) {
            split |= i.asText().equals(list);
        }
        long from = g.get(2) == null ? 0 : Long.parseLong(g.get(2));
        String value = redis.hget(keys.data(job), list).get(10, TimeUnit.SECONDS);
        JsonNode items = null;
        String problem = null;
        if (value == null) {
            problem = "mapped data node '" + list + "' has no value";
        } else if (ObjectRef.isRef(value.getBytes(StandardCharsets.UTF_8))) {
            problem = "mapped data node '" + list + "' is stored by reference (over the inline limit): a list is split only "
                    + "when its JSON array is held inline";
        } else {
            try {
                items = JSON.readTree(value);
            } catch (Exception e) {
                problem = "mapped data node '" + list + "' is not JSON: " + e.getMessage();
            }
            if (problem == null && (items == null || !items.isArray())) {
                problem = "mapped data node '" + list + "' is not a JSON array";
            }
        }
        if (problem != null) {
            settle(state.mapChunk(lease, job, group, 0, -1, PATIENCE, List.of(problem.getBytes(StandardCharsets.UTF_8)), 0));
            return;
        }
        long n = items.size();
        long started = System.nanoTime();
        while (true) {
            int k = (int) Math.min(CHUNK, Math.max(0, n - from));
            List<byte[]> values = null;
            if (split) {
                values = new ArrayList<>(k);
                for (int j = 0; j < k; j++) {
                    values.add(JSON.writeValueAsBytes(items.get((int) (from + j))));
                }
            }
            String status = settle(state.mapChunk(lease, job, group, from, n, PATIENCE, values, k));
            if (status.equals("done") || status.equals("stop")) {
                if (from == 0 || status.equals("done")) {
                    LOG.info("group {}/{}: {} items, expansion {} in {} ms", job, group, n, status,
                            (System.nanoTime() - started) / 1_000_000);
                }
                return;
            }
            long next = Long.parseLong(status.startsWith("skip:") ? status.substring(5) : status);
            if (status.startsWith("skip:") && next <= from) {
                // an earlier index than ours is next: someone else expands it (never in one process)
                return;
            }
            from = next;
        }
    }

    private String settle(OutboxEntry.Reply reply) {
        publishers.publishQuietly(reply.dispatched());
        metrics.ended(reply.ends());
        return reply.status();
    }

    private static List<String> values(List<KeyValue<String, String>> kvs) {
        List<String> out = new ArrayList<>(kvs.size());
        for (KeyValue<String, String> kv : kvs) {
            out.add(kv.hasValue() ? kv.getValue() : null);
        }
        return out;
    }
}
