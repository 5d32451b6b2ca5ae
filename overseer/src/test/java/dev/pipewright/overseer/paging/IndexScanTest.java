package dev.pipewright.overseer.paging;

import dev.pipewright.overseer.paging.IndexScan.Entry;
import dev.pipewright.overseer.paging.IndexScan.Page;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexScanTest {
    /** A sorted set in memory, answering like ZREVRANGEBYSCORE key max -inf LIMIT offset count. */
    static final class MemoryIndex implements IndexScan.Source {
        final List<Entry> entries = new ArrayList<>();

        MemoryIndex add(String id, double score) {
            entries.add(new Entry(id, score));
            return this;
        }

        @Override
        public List<Entry> fetch(double maxScore, long offset, int count) {
            return entries.stream().filter(e -> e.score() <= maxScore)
                    .sorted(Comparator.comparingDouble(Entry::score).thenComparing(Entry::id).reversed())
                    .skip(offset).limit(count).toList();
        }

        Double score(String id) {
            return entries.stream().filter(e -> e.id().equals(id)).map(Entry::score).findFirst().orElse(null);
        }
    }

    private static final IndexScan.Loader<String> ALL = ids -> ids;

    @Test
    void walksSeveralIndexesNewestFirstWithoutRepeatsOrGaps() throws Exception {
        MemoryIndex a = new MemoryIndex();
        MemoryIndex b = new MemoryIndex();
        Map<String, Double> all = new TreeMap<>();
        for (int i = 0; i < 137; i++) {
            String id = String.format("j%04d", i);
            double score = i / 3; // ties on purpose
            (i % 3 == 0 ? a : b).add(id, score);
            all.put(id, score);
        }
        List<String> seen = new ArrayList<>();
        IndexScan.Position after = null;
        int pages = 0;
        while (true) {
            Page<String> p = IndexScan.page(List.of(a, b), after, 10, 10_000, ALL);
            pages++;
            seen.addAll(p.items());
            if (p.nextPageAfter() == null) {
                break;
            }
            assertEquals(10, p.items().size());
            assertFalse(new String(java.util.Base64.getUrlDecoder().decode(p.nextPageAfter())).contains("j0"), "a cursor names no id");
            after = IndexScan.Position.decode(p.nextPageAfter());
        }
        List<String> expected = all.keySet().stream()
                .sorted(Comparator.<String>comparingDouble(all::get).thenComparing(Comparator.<String>naturalOrder()).reversed()).toList();
        assertEquals(expected, seen);
        assertEquals(14, pages);
    }

    @Test
    void aFullLastPageHasNoCursor() throws Exception {
        MemoryIndex a = new MemoryIndex().add("x1", 1).add("x2", 2);
        Page<String> p = IndexScan.page(List.of(a), null, 2, 100, ALL);
        assertEquals(List.of("x2", "x1"), p.items());
        assertNull(p.nextPageAfter());
    }

    @Test
    void newerEntriesAddedBetweenPagesDoNotShiftTheNextPage() throws Exception {
        MemoryIndex a = new MemoryIndex();
        for (int i = 1; i <= 5; i++) {
            a.add("r" + i, i);
        }
        Page<String> first = IndexScan.page(List.of(a), null, 2, 100, ALL);
        assertEquals(List.of("r5", "r4"), first.items());
        a.add("r6", 6).add("r7", 7);
        Page<String> second = IndexScan.page(List.of(a), IndexScan.Position.decode(first.nextPageAfter()), 2, 100, ALL);
        assertEquals(List.of("r3", "r2"), second.items());
    }

    @Test
    void filtersDropItemsAndTheBudgetBoundsOnePage() throws Exception {
        MemoryIndex a = new MemoryIndex();
        for (int i = 1; i <= 100; i++) {
            a.add(String.format("k%03d", i), i);
        }
        IndexScan.Loader<String> evenOnly = ids -> ids.stream().map(id -> Integer.parseInt(id.substring(1)) % 2 == 0 ? id : null).toList();
        Page<String> p = IndexScan.page(List.of(a), null, 5, 1000, evenOnly);
        assertEquals(List.of("k100", "k098", "k096", "k094", "k092"), p.items());
        assertEquals(List.of("k090", "k088"), IndexScan.page(List.of(a), IndexScan.Position.decode(p.nextPageAfter()), 2, 1000, evenOnly).items());

        IndexScan.Loader<String> none = ids -> ids.stream().map(id -> (String) null).toList();
        Page<String> budgeted = IndexScan.page(List.of(a), null, 5, 30, none);
        assertTrue(budgeted.items().isEmpty());
        // the cursor continues after the last entry examined, which the filter dropped: it must not name it
        assertEquals(new IndexScan.Position(71, 1), IndexScan.Position.decode(budgeted.nextPageAfter()));
        assertFalse(new String(java.util.Base64.getUrlDecoder().decode(budgeted.nextPageAfter())).contains("k071"));
        Page<String> rest = IndexScan.page(List.of(a), IndexScan.Position.decode(budgeted.nextPageAfter()), 5, 1000, none);
        assertNull(rest.nextPageAfter());
    }

    @Test
    void aCursorResumesInsideARunOfEqualScores() throws Exception {
        MemoryIndex a = new MemoryIndex();
        for (int i = 0; i < 9; i++) {
            a.add("t" + i, 5); // one millisecond
        }
        List<String> seen = new ArrayList<>();
        IndexScan.Position after = null;
        do {
            Page<String> p = IndexScan.page(List.of(a), after, 2, 100, ALL);
            seen.addAll(p.items());
            after = IndexScan.Position.decode(p.nextPageAfter());
        } while (after != null);
        assertEquals(List.of("t8", "t7", "t6", "t5", "t4", "t3", "t2", "t1", "t0"), seen);
        assertNull(IndexScan.Position.decode("k071"), "an id is not a cursor");
        assertNull(IndexScan.Position.decode("nonsense"));
    }

    @Test
    void anEmptyIndexGivesAnEmptyPage() throws Exception {
        Page<String> p = IndexScan.page(List.of(new MemoryIndex()), null, 50, 100, ALL);
        assertTrue(p.items().isEmpty());
        assertNull(p.nextPageAfter());
    }
}
