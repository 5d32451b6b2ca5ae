package dev.pipewright.overseer.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the shards set aside because it kept failing (events, timers, lease expiries, outputs the data
 * store refused), read from each shard's capped set-aside stream ({@link Keys#setAside}) for operators:
 * {@code GET /api/v1/admin/set-aside}, {@code pipewright admin set-aside}.
 */
public final class SetAside {
    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;

    public SetAside(Keys keys, RedisClusterAsyncCommands<String, String> redis) {
        this.keys = keys;
        this.redis = redis;
    }

    /** One record: when, on which shard, what (kind and item), of which job and task, why, and what became of the job. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Record(int shard, String id, String at, String kind, String item, String job, String node, String reason,
                         String effect) {
    }

    /** The records and how many were read. */
    public record Listing(int total, List<Record> set_aside) {
    }

    public int shards() {
        return keys.shards();
    }

    /** The newest records (at most {@code limit}), newest first, of one shard or (null) every shard. */
    public Listing list(Integer shard, int limit) throws Exception {
        List<Record> all = new ArrayList<>();
        int from = shard == null ? 0 : shard;
        int to = shard == null ? keys.shards() - 1 : shard;
        for (int s = from; s <= to; s++) {
            List<StreamMessage<String, String>> entries = redis.xrevrange(keys.setAside(s), Range.create("-", "+"), Limit.create(0, limit))
                    .get(10, TimeUnit.SECONDS);
            for (StreamMessage<String, String> e : entries) {
                Map<String, String> f = e.getBody();
                long ms = Long.parseLong(e.getId().substring(0, e.getId().indexOf('-')));
                all.add(new Record(s, e.getId(), Instant.ofEpochMilli(ms).toString(), f.get("kind"), f.get("item"), blankToNull(f.get("job")),
                        blankToNull(f.get("node")), f.get("reason"), f.get("effect")));
            }
        }
        all.sort(Comparator.comparing(Record::at).thenComparing(Record::id).reversed());
        List<Record> shown = all.size() > limit ? all.subList(0, limit) : all;
        return new Listing(shown.size(), List.copyOf(shown));
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
