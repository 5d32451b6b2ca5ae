package dev.pipewright.overseer.paging;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Cursor pagination over one or more sorted-set indexes (ids scored by time), newest first, in
 * the order (score desc, id desc) that Redis itself uses. The cursor ({@code page_after}) is a
 * {@link Position}: the score of the last entry a page examined and how many entries of that score
 * were examined so far, never an id: the last entry examined may be one the filters dropped (another
 * owner's job), whose id the caller must not learn. The next page starts right after it, so ids
 * added meanwhile (all newer) neither shift nor repeat a page.
 *
 * <p>Filters are applied by the loader; a page examines at most {@code budget} ids, so a filter
 * that matches little answers a short (even empty) page with a cursor to continue from instead of
 * scanning the whole index in one request.
 */
public final class IndexScan {
    /** Index entries one listing page examines at most (its filters may match little). */
    public static final int BUDGET = 5_000;

    private static final Comparator<Entry> NEWEST_FIRST =
            Comparator.comparingDouble(Entry::score).thenComparing(Entry::id).reversed();

    private IndexScan() {
    }

    /** One index member. */
    public record Entry(String id, double score) {
    }

    /**
     * Where a listing resumes: after the first {@code atScore} entries (in id-descending order) whose
     * score is {@code score}, and before every older one. Opaque to clients: base64url of
     * {@code p:<score bits in hex>:<count>}. An entry added later with exactly that score (the same
     * millisecond) may shift the page by one; nothing else can.
     */
    public record Position(double score, int atScore) {
        private static final String PREFIX = "p:";

        public String encode() {
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                    (PREFIX + Long.toHexString(Double.doubleToRawLongBits(score)) + ":" + atScore).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        /** The position this cursor names; null when the text is not a cursor of a listing. */
        public static Position decode(String cursor) {
            if (cursor == null || cursor.isEmpty() || cursor.length() > 100) {
                return null;
            }
            try {
                String text = new String(java.util.Base64.getUrlDecoder().decode(cursor), java.nio.charset.StandardCharsets.UTF_8);
                if (!text.startsWith(PREFIX)) {
                    return null;
                }
                String[] parts = text.substring(PREFIX.length()).split(":");
                if (parts.length != 2 || parts[0].isEmpty() || parts[0].length() > 16 || parts[1].isEmpty() || parts[1].length() > 9) {
                    return null;
                }
                double score = Double.longBitsToDouble(Long.parseUnsignedLong(parts[0], 16));
                int at = Integer.parseInt(parts[1]);
                return Double.isNaN(score) || at < 0 ? null : new Position(score, at);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    /** A page of items and the cursor for the next one (null when there is no more). */
    public record Page<T>(List<T> items, String nextPageAfter) {
    }

    /** One index: up to {@code count} entries with score ≤ {@code maxScore}, newest first, skipping {@code offset}. */
    @FunctionalInterface
    public interface Source {
        List<Entry> fetch(double maxScore, long offset, int count) throws Exception;
    }

    /** Turns a batch of ids into items, in the same order, null for an id the filters drop (or that is gone). */
    @FunctionalInterface
    public interface Loader<T> {
        List<T> load(List<String> ids) throws Exception;
    }

    /** A sorted set in Redis as a source. */
    public static Source zset(RedisClusterAsyncCommands<String, String> redis, String key) {
        return (max, offset, count) -> {
            List<ScoredValue<String>> values = redis.zrevrangebyscoreWithScores(key,
                    Range.create(Double.NEGATIVE_INFINITY, max), Limit.create(offset, count)).get(10, TimeUnit.SECONDS);
            List<Entry> out = new ArrayList<>(values.size());
            values.forEach(v -> out.add(new Entry(v.getValue(), v.getScore())));
            return out;
        };
    }

    public static <T> Page<T> page(List<Source> sources, Position after, int pageSize, int budget, Loader<T> loader) throws Exception {
        int batch = Math.max(16, Math.min(pageSize + 1, 200));
        List<Cursor> cursors = new ArrayList<>();
        for (Source s : sources) {
            cursors.add(new Cursor(s, after, batch));
        }
        List<T> items = new ArrayList<>();
        Entry lastTaken = null;
        int atLastScore = 0; // entries examined with lastTaken's score, earlier pages included
        int skip = after == null ? 0 : after.atScore();
        int examined = 0;
        boolean leftover = false;
        while (items.size() < pageSize && examined < budget) {
            List<Entry> next = new ArrayList<>();
            while (next.size() < Math.min(batch, budget - examined)) {
                Entry e = pollNewest(cursors);
                if (e == null) {
                    break;
                }
                if (skip > 0 && e.score() == after.score()) {
                    skip--; // examined by an earlier page
                    continue;
                }
                next.add(e);
            }
            if (next.isEmpty()) {
                return new Page<>(items, null);
            }
            List<T> loaded = loader.load(next.stream().map(Entry::id).toList());
            for (int i = 0; i < next.size(); i++) {
                examined++;
                Entry e = next.get(i);
                if (lastTaken != null && lastTaken.score() == e.score()) {
                    atLastScore++;
                } else {
                    atLastScore = 1 + (after != null && after.score() == e.score() ? after.atScore() : 0);
                }
                lastTaken = e;
                if (loaded.get(i) != null) {
                    items.add(loaded.get(i));
                    if (items.size() == pageSize) {
                        leftover = i < next.size() - 1;
                        break;
                    }
                }
            }
        }
        // whatever the cursors still hold is older than every entry taken: the merge polls newest first
        boolean more = leftover;
        for (Cursor c : cursors) {
            more = more || c.peek() != null;
        }
        return new Page<>(items, more ? new Position(lastTaken.score(), atLastScore).encode() : null);
    }

    private static Entry pollNewest(List<Cursor> cursors) throws Exception {
        Cursor best = null;
        Entry bestEntry = null;
        for (Cursor c : cursors) {
            Entry e = c.peek();
            if (e != null && (bestEntry == null || NEWEST_FIRST.compare(e, bestEntry) < 0)) {
                best = c;
                bestEntry = e;
            }
        }
        if (best != null) {
            best.buffer.poll();
        }
        return bestEntry;
    }

    /** Reads one source in batches at or below a fixed ceiling (the page merges them and skips what earlier pages saw). */
    private static final class Cursor {
        private final Source source;
        private final Position after;
        private final int batch;
        private final Deque<Entry> buffer = new ArrayDeque<>();
        private long offset;
        private boolean exhausted;

        Cursor(Source source, Position after, int batch) {
            this.source = source;
            this.after = after;
            this.batch = batch;
        }

        Entry peek() throws Exception {
            while (buffer.isEmpty() && !exhausted) {
                List<Entry> got = source.fetch(after == null ? Double.POSITIVE_INFINITY : after.score(), offset, batch);
                offset += got.size();
                if (got.size() < batch) {
                    exhausted = true;
                }
                buffer.addAll(got);
            }
            return buffer.peek();
        }

    }
}
