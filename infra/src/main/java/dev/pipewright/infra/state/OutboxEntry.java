package dev.pipewright.infra.state;

import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.protocol.pipeline.Priority;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One outbox stream entry: a task message for a pool queue ({@code pool} is the routing key: the
 * pool, or {@code <pool>:high} / {@code <pool>:low}), in a shard's outbox, with the processor of
 * its task (for the dispatch metrics; empty for an entry written before it was recorded).
 */
public record OutboxEntry(String id, String pool, String message, int shard, String processor) {
    /** Fields each dispatched entry has in a script reply. */
    static final int FIELDS = 5;

    /** The pool itself, without the priority suffix of the routing key. */
    public String poolName() {
        return Priority.poolOf(pool);
    }

    /**
     * The reply of a dispatching script ({@code status, ends, slot requests, then id, routing key,
     * message, shard, processor} per dispatched entry). {@code ends} says what the script ended (see
     * lib.lua's ENDS): tasks ended without a worker's commit and jobs that reached their end;
     * {@code slots} the concurrency slots it asks to take or give back (see lib.lua's SLOTS), which
     * {@link StateGateway#settle} carries out.
     */
    public record Reply(String status, Ends ends, List<SlotRequest> slots, List<OutboxEntry> dispatched) {
        public Reply(String status, Ends ends, List<OutboxEntry> dispatched) {
            this(status, ends, List.of(), dispatched);
        }

        public static Reply of(List<Object> raw) {
            List<OutboxEntry> entries = new ArrayList<>(Math.max(0, raw.size() - 3) / FIELDS);
            for (int i = 3; i + FIELDS - 1 < raw.size(); i += FIELDS) {
                entries.add(new OutboxEntry(Scripts.text(raw.get(i)), Scripts.text(raw.get(i + 1)), Scripts.text(raw.get(i + 2)),
                        Integer.parseInt(Scripts.text(raw.get(i + 3))), Scripts.text(raw.get(i + 4))));
            }
            return new Reply(Scripts.text(raw.get(0)), Ends.parse(raw.size() > 1 ? Scripts.text(raw.get(1)) : ""),
                    SlotRequest.parse(raw.size() > 2 ? Scripts.text(raw.get(2)) : ""), entries);
        }
    }

    /**
     * What one script ended: tasks ended by the overseer's own scripts (not by a worker's commit),
     * by pool, state ({@code FAILED}, {@code TIMED_OUT}, {@code CANCELLED}, {@code SKIPPED}, or
     * {@code retry} for an attempt that will be retried) and reason code; and jobs by the status
     * they ended with, and again with their pipeline and run time from submission ({@code jobEnds}).
     * Each transition is reported once, by the script that made it.
     */
    public record Ends(List<TaskEnd> tasks, Map<String, Integer> jobs, List<JobEnd> jobEnds) {
        public static final Ends NONE = new Ends(List.of(), Map.of(), List.of());

        public Ends(List<TaskEnd> tasks, Map<String, Integer> jobs) {
            this(tasks, jobs, List.of());
        }

        /** Parses {@code t|<pool>|<state>|<reason>=<n>;j|<status>=<n>;J|<status>|<pipeline>|<ms>=<n>;...}. */
        public static Ends parse(String text) {
            if (text == null || text.isEmpty()) {
                return NONE;
            }
            List<TaskEnd> tasks = new ArrayList<>();
            Map<String, Integer> jobs = new LinkedHashMap<>();
            List<JobEnd> jobEnds = new ArrayList<>();
            for (String item : text.split(";")) {
                int eq = item.lastIndexOf('=');
                if (eq < 0) {
                    continue;
                }
                int n = Integer.parseInt(item.substring(eq + 1));
                String[] parts = item.substring(0, eq).split("\\|");
                if (parts[0].equals("t") && parts.length == 4) {
                    tasks.add(new TaskEnd(parts[1], parts[2], parts[3], n));
                } else if (parts[0].equals("j") && parts.length == 2) {
                    jobs.merge(parts[1], n, Integer::sum);
                } else if (parts[0].equals("J") && parts.length == 4) {
                    jobEnds.add(new JobEnd(parts[2], parts[1], Long.parseLong(parts[3]), n));
                }
            }
            return new Ends(List.copyOf(tasks), Map.copyOf(jobs), List.copyOf(jobEnds));
        }

        /** Both counts together. */
        public Ends plus(Ends other) {
            if (other.tasks.isEmpty() && other.jobs.isEmpty() && other.jobEnds.isEmpty()) {
                return this;
            }
            if (tasks.isEmpty() && jobs.isEmpty() && jobEnds.isEmpty()) {
                return other;
            }
            List<TaskEnd> t = new ArrayList<>(tasks);
            t.addAll(other.tasks);
            Map<String, Integer> j = new LinkedHashMap<>(jobs);
            other.jobs.forEach((status, n) -> j.merge(status, n, Integer::sum));
            List<JobEnd> e = new ArrayList<>(jobEnds);
            e.addAll(other.jobEnds);
            return new Ends(List.copyOf(t), Map.copyOf(j), List.copyOf(e));
        }
    }

    /** {@code count} jobs of {@code pipeline} that ended in {@code status}, {@code millis} after their submission. */
    public record JobEnd(String pipeline, String status, long millis, int count) {
    }

    /** {@code count} tasks of {@code pool} that ended in {@code state} for {@code reason}. */
    public record TaskEnd(String pool, String state, String reason, int count) {
    }

    /** Entries grouped by the shard whose outbox holds them (deleted from it once confirmed). */
    public static Map<Integer, List<OutboxEntry>> byShard(List<OutboxEntry> entries) {
        Map<Integer, List<OutboxEntry>> out = new LinkedHashMap<>();
        for (OutboxEntry e : entries) {
            out.computeIfAbsent(e.shard(), s -> new ArrayList<>()).add(e);
        }
        return out;
    }
}
