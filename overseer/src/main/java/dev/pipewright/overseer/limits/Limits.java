package dev.pipewright.overseer.limits;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.parse.PipelineParser;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;


/**
 * Cluster-wide concurrency limits, enforced by the dispatching scripts: a processor's running
 * tasks (a task holds a slot from its dispatch until its end is processed; beyond the limit it
 * waits held, in priority order) and a pipeline's running jobs (beyond it a started job waits
 * PENDING). Setting or removing a limit at once dispatches what it lets through.
 */
public final class Limits {
    public static final Set<String> KINDS = Set.of("processor", "pipeline");
    public static final int MAX = 1_000_000;

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final StateGateway state;
    private final PublisherPool publishers;
    private final OverseerMetrics metrics;

    public Limits(Keys keys, RedisClusterAsyncCommands<String, String> redis, StateGateway state, PublisherPool publishers,
                  OverseerMetrics metrics) {
        this.metrics = metrics;
        this.keys = keys;
        this.redis = redis;
        this.state = state;
        this.publishers = publishers;
    }

    /** Every limit with its slots in use and what waits for one. */
    public List<LimitViews.Row> list() throws Exception {
        Map<String, String> all = new TreeMap<>(redis.hgetall(keys.limits()).get(10, TimeUnit.SECONDS));
        List<LimitViews.Row> out = new ArrayList<>();
        for (Map.Entry<String, String> e : all.entrySet()) {
            int colon = e.getKey().indexOf(':');
            String kind = e.getKey().substring(0, colon);
            String name = e.getKey().substring(colon + 1);
            out.add(new LimitViews.Row(kind, name, Integer.parseInt(e.getValue()), redis.scard(keys.slots(kind, name)).get(10, TimeUnit.SECONDS),
                    redis.zcard(keys.held(kind, name)).get(10, TimeUnit.SECONDS)));
        }
        return out;
    }

    /** Sets a limit from a request body {@code {"max": N}}. */
    public LimitViews.Applied set(String kind, String name, JsonNode body) throws Exception {
        check(kind, name);
        JsonNode max = body == null ? null : body.get("max");
        if (max == null || !max.isIntegralNumber() || max.asLong() < 1 || max.asLong() > MAX) {
            throw Refusal.invalid("expected {\"max\": N} with N a whole number from 1 to " + MAX, "max");
        }
        if (body.size() != 1) {
            throw Refusal.invalid("unknown field; a limit has only 'max'", "body");
        }
        int dispatched = apply(kind, name, Integer.toString(max.asInt()));
        return new LimitViews.Applied(kind, name, max.asInt(), dispatched);
    }

    public LimitViews.Removed remove(String kind, String name) throws Exception {
        check(kind, name);
        if (redis.hget(keys.limits(), kind + ":" + name).get(10, TimeUnit.SECONDS) == null) {
            throw Refusal.notFound("no " + kind + " limit for '" + name + "'");
        }
        int dispatched = apply(kind, name, "");
        return new LimitViews.Removed(kind, name, true, dispatched);
    }

    private int apply(String kind, String name, String max) throws Exception {
        OutboxEntry.Reply reply = state.limit(kind, name, max);
        publishers.publishQuietly(reply.dispatched());
        metrics.ended(reply.ends()); // jobs the freed pipeline slots started may end at once
        return reply.dispatched().size();
    }

    private static void check(String kind, String name) {
        if (!KINDS.contains(kind)) {
            throw Refusal.invalid("limit kind must be 'processor' or 'pipeline', not '" + kind + "'", "kind");
        }
        if (!PipelineParser.NAME.matcher(name).matches()) {
            throw Refusal.invalid("'" + name + "' is not a valid " + kind + " name", "name");
        }
    }
}
