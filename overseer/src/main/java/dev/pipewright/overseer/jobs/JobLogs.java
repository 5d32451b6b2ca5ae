package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A job's logs as workers write them: each attempt's last lines in a list of its own (read per task
 * and attempt), and every line also in the job's log stream (read in order, to follow a job live).
 */
public final class JobLogs {
    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;

    JobLogs(Keys keys, RedisClusterAsyncCommands<String, String> redis) {
        this.keys = keys;
        this.redis = redis;
    }

    /** One line of a task's log: the attempt that wrote it, its text, and when (epoch ms; null for lines of older workers). */
    public record LogLine(int attempt, String line, Long at) {
    }

    /**
     * Log lines of each task (or of one node) in task order, each task's attempts oldest first
     * (each attempt keeps its last lines); only attempt {@code onlyAttempt} when it is given.
     */
    public Map<String, List<LogLine>> lines(JobId id, String onlyNode, Integer onlyAttempt) throws Exception {
        List<String> nodes = onlyNode != null ? List.of(onlyNode) : redis.lrange(keys.nodes(id), 0, -1).get(10, TimeUnit.SECONDS);
        Map<String, CompletableFuture<String>> attempts = new LinkedHashMap<>();
        for (String node : nodes) {
            attempts.put(node, redis.hget(keys.task(id, node), "attempts").toCompletableFuture());
        }
        Map<String, List<CompletableFuture<List<String>>>> lists = new LinkedHashMap<>();
        Map<String, CompletableFuture<List<String>>> legacy = new LinkedHashMap<>();
        Map<String, List<Integer>> numbers = new LinkedHashMap<>();
        for (Map.Entry<String, CompletableFuture<String>> e : attempts.entrySet()) {
            int n = intOf(e.getValue().get(10, TimeUnit.SECONDS));
            List<Integer> which = new ArrayList<>();
            if (onlyAttempt != null) {
                if (onlyAttempt <= n) {
                    which.add(onlyAttempt);
                }
            } else {
                for (int a = 1; a <= n; a++) {
                    which.add(a);
                }
            }
            List<CompletableFuture<List<String>>> fs = new ArrayList<>();
            for (int a : which) {
                fs.add(redis.lrange(keys.attemptLog(id, e.getKey(), a), 0, -1).toCompletableFuture());
            }
            numbers.put(e.getKey(), which);
            lists.put(e.getKey(), fs);
            legacy.put(e.getKey(), redis.lrange(keys.taskLog(id, e.getKey()), 0, -1).toCompletableFuture());
        }
        Map<String, List<LogLine>> out = new LinkedHashMap<>();
        for (String node : nodes) {
            List<LogLine> lines = new ArrayList<>();
            // lines of workers from before logs were kept per attempt: '#<attempt> <line>' in one list
            for (String raw : legacy.get(node).get(10, TimeUnit.SECONDS)) {
                int space = raw.indexOf(' ');
                int attempt = raw.startsWith("#") && space > 1 ? intOr(raw.substring(1, space), 0) : 0;
                if (onlyAttempt == null || onlyAttempt == attempt) {
                    lines.add(new LogLine(attempt, space > 1 && attempt > 0 ? raw.substring(space + 1) : raw, null));
                }
            }
            for (int i = 0; i < numbers.get(node).size(); i++) {
                int attempt = numbers.get(node).get(i);
                for (String raw : lists.get(node).get(i).get(10, TimeUnit.SECONDS)) {
                    int space = raw.indexOf(' ');
                    Long at = space > 0 ? longOr(raw.substring(0, space)) : null;
                    lines.add(new LogLine(attempt, at == null ? raw : raw.substring(space + 1), at));
                }
            }
            if (!lines.isEmpty()) {
                out.put(node, lines);
            }
        }
        return out;
    }

    private static int intOr(String s, int fallback) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static Long longOr(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** One log line of a job's log stream ({@code at}: epoch ms, null for lines of older workers). */
    public record LogEntry(String id, String node, int attempt, String line, Long at) {
    }

    /** Log lines read from the stream; {@code lastId} is the last entry read (even one the node filter dropped). */
    public record LogBatch(List<LogEntry> lines, String lastId, boolean full) {
    }

    /**
     * Up to {@code count} stream entries after stream id {@code after} (null: from the oldest kept),
     * optionally of one node and of one attempt.
     */
    public LogBatch after(JobId id, String after, int count, String onlyNode, Integer onlyAttempt) throws Exception {
        io.lettuce.core.Range<String> range = after == null ? io.lettuce.core.Range.create("-", "+")
                : io.lettuce.core.Range.from(io.lettuce.core.Range.Boundary.excluding(after), io.lettuce.core.Range.Boundary.unbounded());
        List<io.lettuce.core.StreamMessage<String, String>> got = redis.xrange(keys.logStream(id), range,
                io.lettuce.core.Limit.create(0, count)).get(10, TimeUnit.SECONDS);
        List<LogEntry> out = new ArrayList<>();
        for (io.lettuce.core.StreamMessage<String, String> m : got) {
            String node = m.getBody().get("n");
            int attempt = intOr(m.getBody().getOrDefault("a", "0"), 0);
            if ((onlyNode == null || onlyNode.equals(node)) && (onlyAttempt == null || onlyAttempt == attempt)) {
                String at = m.getBody().get("t");
                out.add(new LogEntry(m.getId(), node, attempt, m.getBody().getOrDefault("l", ""), at == null ? null : longOr(at)));
            }
        }
        return new LogBatch(out, got.isEmpty() ? after : got.get(got.size() - 1).getId(), got.size() == count);
    }

    private static int intOf(String s) {
        return s == null || s.isEmpty() ? 0 : Integer.parseInt(s);
    }
}
