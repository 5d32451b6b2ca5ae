package dev.pipewright.it.fault;

import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the fault tests hold the system to, read from Redis and RabbitMQ after a run: every job
 * (those the test submitted and any the system holds besides, e.g. a submit whose answer a crash
 * swallowed) ended; each task of a successful job committed its outputs once and was released
 * once; every consumable has the content its seed implies; nothing was written twice; a cancelled
 * job dispatched nothing after the cancel; and the plumbing is empty: no message ready or unacked
 * in the pool queue or the dead-letter queue, no dead letter, no outbox entry, no unprocessed or
 * unacknowledged event, no lease.
 */
final class Ledger {
    /** Access to the plumbing, past any proxy. */
    interface Plumbing {
        RedisCommands<String, String> redis();

        Keys keys();

        /** Ready messages in a queue (with no consumers: ready + formerly unacked); -1 when absent. */
        long messageCount(String queue) throws Exception;
    }

    /** The outcome of a check: counts for the note and every violation found. */
    record Report(int jobs, int unknownJobs, int tasks, Map<String, Integer> jobStatuses, long attempts, long lostLeases,
                  long handbacks, List<String> violations) {
        void assertClean() {
            if (!violations.isEmpty()) {
                throw new AssertionError(violations.size() + " ledger violations (" + summary() + "):\n  "
                        + String.join("\n  ", violations.subList(0, Math.min(40, violations.size()))));
            }
        }

        String summary() {
            return "jobs=" + jobs + " (unknown " + unknownJobs + ") tasks=" + tasks + " statuses=" + jobStatuses
                    + " attempts=" + attempts + " lostLeases=" + lostLeases + " handbacks=" + handbacks;
        }
    }

    private final Set<String> submitted = ConcurrentHashMap.newKeySet();
    private final Workload workload;

    Ledger(Workload workload) {
        this.workload = workload;
    }

    private final Map<String, Set<String>> expectedStatus = new ConcurrentHashMap<>();

    void submitted(String jobId) {
        submitted.add(jobId);
    }

    /** The statuses this job may end with, in place of those given to {@link #check}. */
    void expect(String jobId, Set<String> statuses) {
        expectedStatus.put(jobId, statuses);
    }

    Set<String> submittedJobs() {
        return Set.copyOf(submitted);
    }

    /** All jobs the system holds in this namespace. */
    static Set<String> allJobs(Plumbing p) {
        Set<String> all = new LinkedHashSet<>();
        for (int shard = 0; shard < p.keys().shards(); shard++) {
            all.addAll(p.redis().zrange(p.keys().jobIndex(shard), 0, -1));
        }
        return all;
    }

    /**
     * Waits up to {@code timeout} for every job the system holds to end and the outbox to empty
     * (the relay takes what crashes left behind); true when both happened. Call it while workers
     * still run, so that whatever the relay publishes is consumed before the queues are checked.
     */
    boolean awaitEnd(Plumbing p, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Set<String> jobs = new LinkedHashSet<>(submitted);
            jobs.addAll(allJobs(p));
            if (jobs.stream().allMatch(id -> terminal(p.redis().hget(p.keys().job(new JobId(id)), "status")))
                    && outboxSize(p) == 0) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** Waits up to {@code timeout} for every job to end, then checks everything. */
    Report check(Plumbing p, Duration timeout, Set<String> allowedStatuses) throws Exception {
        RedisCommands<String, String> redis = p.redis();
        Keys keys = p.keys();
        List<String> violations = new ArrayList<>();
        Set<String> jobs = new LinkedHashSet<>(submitted);
        jobs.addAll(allJobs(p));
        for (String id : submitted) {
            if (redis.exists(keys.job(new JobId(id))) == 0) {
                violations.add("job " + id + " was accepted but the system does not hold it");
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> open = new LinkedHashSet<>(jobs);
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            open.removeIf(id -> terminal(redis.hget(keys.job(new JobId(id)), "status")));
            if (!open.isEmpty()) {
                Thread.sleep(100);
            }
        }
        for (String id : open) {
            violations.add("job " + id + " did not end within " + timeout + ": " + redis.hgetall(keys.job(new JobId(id)))
                    + " tasks " + taskStates(p, id));
        }
        Map<String, Integer> statuses = new TreeMap<>();
        int tasks = 0;
        long attempts = 0;
        long lost = 0;
        long handbacks = 0;
        for (String id : jobs) {
            JobId job = new JobId(id);
            Map<String, String> j = redis.hgetall(keys.job(job));
            String status = j.get("status");
            statuses.merge(String.valueOf(status), 1, Integer::sum);
            Set<String> allowed = expectedStatus.getOrDefault(id, allowedStatuses);
            if (status != null && terminal(status) && !allowed.contains(status)) {
                violations.add("job " + id + " ended " + status + " (allowed: " + allowed + "): " + j.get("reason")
                        + " tasks " + taskStates(p, id));
            }
            if (!"0".equals(j.getOrDefault("rewrites", "0"))) {
                violations.add("job " + id + ": a consumable was written " + j.get("rewrites") + " more time(s)");
            }
            boolean success = "SUCCESS".equals(status);
            boolean cancelled = "CANCELLED".equals(status);
            if (cancelled && !j.getOrDefault("seq", "0").equals(j.getOrDefault("stopSeq", "?"))) {
                violations.add("job " + id + ": dispatched after its cancel (seq " + j.get("seq") + " > stopSeq " + j.get("stopSeq") + ")");
            }
            for (String node : redis.lrange(keys.nodes(job), 0, -1)) {
                tasks++;
                Map<String, String> t = redis.hgetall(keys.task(job, node));
                attempts += num(t, "attempts");
                lost += num(t, "lost");
                handbacks += "1".equals(t.get("handback")) ? 1 : 0;
                long commits = num(t, "commits");
                long releases = num(t, "releases");
                boolean root = num(t, "np") == 0;
                if (commits > 1) {
                    violations.add("task " + id + "/" + node + " committed " + commits + " times");
                }
                if (releases > 1 || (root && releases > 0)) {
                    violations.add("task " + id + "/" + node + " was released " + releases + " times");
                }
                if (success) {
                    if (!"SUCCESS".equals(t.get("state")) || commits != 1) {
                        violations.add("task " + id + "/" + node + " of a successful job: state " + t.get("state") + ", commits " + commits);
                    }
                    if (!root && releases != 1) {
                        violations.add("task " + id + "/" + node + " of a successful job was released " + releases + " times");
                    }
                }
                if (terminal(status) && !terminalTask(t.get("state"))) {
                    violations.add("task " + id + "/" + node + " is " + t.get("state") + " in a job that ended " + status);
                }
            }
            if (success) {
                Map<String, String> data = redis.hgetall(keys.data(job));
                String seed = data.get("seed");
                workload.expected(String.valueOf(seed)).forEach((node, want) -> {
                    if (!want.equals(data.get(node))) {
                        violations.add("job " + id + ": consumable " + node + " is " + data.get(node) + ", expected " + want);
                    }
                });
            }
        }
        checkPlumbing(p, violations);
        Set<String> unknown = new LinkedHashSet<>(jobs);
        unknown.removeAll(submitted);
        return new Report(jobs.size(), unknown.size(), tasks, statuses, attempts, lost, handbacks, violations);
    }

    private static void checkPlumbing(Plumbing p, List<String> violations) throws Exception {
        RedisCommands<String, String> redis = p.redis();
        Keys keys = p.keys();
        // inline publishes delete their outbox entries on confirm; the relay takes leftovers after its grace
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long outbox;
        do {
            outbox = outboxSize(p);
            if (outbox > 0) {
                Thread.sleep(200);
            }
        } while (outbox > 0 && System.nanoTime() < deadline);
        if (outbox > 0) {
            violations.add(outbox + " outbox entries were never published");
        }
        for (int shard = 0; shard < keys.shards(); shard++) {
            long events = redis.xlen(keys.events(shard));
            if (events > 0) {
                violations.add("shard " + shard + ": " + events + " completion events left unprocessed");
            }
            long leases = redis.zcard(keys.leases(shard));
            if (leases > 0) {
                violations.add("shard " + shard + ": " + leases + " leases left: " + redis.zrange(keys.leases(shard), 0, 9));
            }
        }
        long deadLetters = redis.llen(keys.deadLetters());
        if (deadLetters > 0) {
            violations.add(deadLetters + " dead letters: " + redis.lrange(keys.deadLetters(), 0, 2));
        }
        for (String queue : keys.poolQueues("default")) {
            long ready = p.messageCount(queue);
            if (ready > 0) {
                violations.add("queue " + queue + " holds " + ready + " messages after the run");
            }
        }
        long dlq = p.messageCount(keys.deadLetterQueue());
        if (dlq > 0) {
            violations.add("dead-letter queue holds " + dlq + " messages");
        }
    }

    private static long outboxSize(Plumbing p) {
        long n = 0;
        for (int shard = 0; shard < p.keys().shards(); shard++) {
            n += p.redis().xlen(p.keys().outbox(shard));
        }
        return n;
    }

    private static Map<String, String> taskStates(Plumbing p, String id) {
        JobId job = new JobId(id);
        Map<String, String> states = new TreeMap<>();
        for (String node : p.redis().lrange(p.keys().nodes(job), 0, -1)) {
            states.put(node, p.redis().hget(p.keys().task(job, node), "state"));
        }
        return states;
    }

    private static long num(Map<String, String> m, String field) {
        String v = m.get(field);
        return v == null || v.isEmpty() ? 0 : Long.parseLong(v);
    }

    static boolean terminal(String status) {
        return "SUCCESS".equals(status) || "FAILED".equals(status) || "CANCELLED".equals(status);
    }

    private static boolean terminalTask(String state) {
        return switch (String.valueOf(state)) {
            case "SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED" -> true;
            default -> false;
        };
    }
}
