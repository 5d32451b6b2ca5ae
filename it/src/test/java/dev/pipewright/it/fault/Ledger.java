package dev.pipewright.it.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.release.EventProcessor;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * and no consumer left on any of the namespace's pool queues (every priority), nothing on the
 * dead-letter queue, no dead letter, no outbox entry, no unprocessed or unacknowledged event, no
 * lease, no timer, no queued, held or slot-holding task.
 *
 * <p>The counters the scripts keep ({@code commits}, {@code releases}, {@code rewrites},
 * {@code stopSeq}) are checked, but they are written by the code under test. So the ledger also
 * reads the record the {@link AuditProcessors} keep of their own runs, which no script writes,
 * and holds each task of a successful job to it: the attempt that committed is a run that finished
 * on the worker the task names; no run of a task started before every parent's committing run had
 * finished (an early or second release, or a parent run again after its commit, shows here); and a
 * task ran (a claim a worker received and started) no more often than its failed runs, lost leases
 * and hand-backs explain (a second dispatch nobody lost shows here).
 */
final class Ledger {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Access to the plumbing, past any proxy. */
    interface Plumbing {
        RedisClusterCommands<String, String> redis();

        /** Where the audit processors' own record is read (the same Redis unless a test keeps it apart). */
        default RedisClusterCommands<String, String> audit() {
            return redis();
        }

        Keys keys();

        /**
         * Every queue of the namespace with its ready and consumer counts as they are now, and its
         * unacked count as of the broker's last metrics tick (see {@link RabbitQueues}).
         */
        List<RabbitQueues.Stat> queueStats() throws Exception;
    }

    /** The outcome of a check: counts for the note and every violation found. */
    record Report(int jobs, int unknownJobs, int tasks, Map<String, Integer> jobStatuses, long attempts, long lostLeases,
                  long handbacks, long runs, long reruns, int lostJobs, List<String> violations) {
        void assertClean() {
            if (!violations.isEmpty()) {
                throw new AssertionError(violations.size() + " ledger violations (" + summary() + "):\n  "
                        + String.join("\n  ", violations.subList(0, Math.min(40, violations.size()))));
            }
        }

        /** True when some violation contains every one of the fragments. */
        boolean reports(String... fragments) {
            return violations.stream().anyMatch(v -> java.util.Arrays.stream(fragments).allMatch(v::contains));
        }

        String summary() {
            return "jobs=" + jobs + " (unknown " + unknownJobs + ", lost " + lostJobs + ") tasks=" + tasks + " statuses=" + jobStatuses
                    + " attempts=" + attempts + " runs=" + runs + " reruns=" + reruns + " lostLeases=" + lostLeases
                    + " handbacks=" + handbacks;
        }
    }

    /** One run of a task as the processor recorded it: where it first started, finished, failed. */
    private static final class Run {
        final int attempt;
        final Set<String> workers = new LinkedHashSet<>();
        int started = -1;
        int finished = -1;
        boolean failed;

        Run(int attempt) {
            this.attempt = attempt;
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

    private final Map<String, Map<String, String>> expectedContent = new ConcurrentHashMap<>();

    /** What this job's consumables hold if it succeeds, in place of the workload's (a job of another pipeline). */
    void expectContent(String jobId, Map<String, String> consumables) {
        expectedContent.put(jobId, consumables);
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
        RedisClusterCommands<String, String> redis = p.redis();
        Keys keys = p.keys();
        List<String> violations = new ArrayList<>();
        Set<String> jobs = new LinkedHashSet<>(submitted);
        jobs.addAll(allJobs(p));
        int lostJobs = 0;
        for (String id : submitted) {
            if (redis.exists(keys.job(new JobId(id))) == 0) {
                violations.add("job " + id + " was accepted but the system does not hold it");
                lostJobs++;
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
            lostJobs++;
        }
        Map<String, Integer> statuses = new TreeMap<>();
        int tasks = 0;
        long attempts = 0;
        long lost = 0;
        long handbacks = 0;
        long runs = 0;
        long reruns = 0;
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
            Map<String, Map<Integer, Run>> audit = audit(p.audit(), keys, id);
            Map<String, Map<String, String>> taskFields = new LinkedHashMap<>();
            for (String node : redis.lrange(keys.nodes(job), 0, -1)) {
                taskFields.put(node, redis.hgetall(keys.task(job, node)));
            }
            Map<String, List<String>> parents = parents(taskFields);
            for (Map.Entry<String, Map<String, String>> e : taskFields.entrySet()) {
                String node = e.getKey();
                Map<String, String> t = e.getValue();
                tasks++;
                attempts += num(t, "attempts");
                lost += num(t, "lost");
                handbacks += num(t, "handbacks");
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
                Map<Integer, Run> taskRuns = audit.getOrDefault(node, Map.of());
                runs += taskRuns.size();
                reruns += Math.max(0, taskRuns.size() - 1);
                checkRuns(id, node, t, taskRuns, violations);
                if (success && t.get("reused") == null) {
                    checkSuccessfulRuns(id, node, t, taskRuns, parents.getOrDefault(node, List.of()), taskFields, audit, violations);
                }
            }
            if (success) {
                Map<String, String> data = redis.hgetall(keys.data(job));
                String seed = data.get("seed");
                expectedContent.getOrDefault(id, workload.expected(String.valueOf(seed))).forEach((node, want) -> {
                    if (!want.equals(data.get(node))) {
                        violations.add("job " + id + ": consumable " + node + " is " + data.get(node) + ", expected " + want);
                    }
                });
            }
        }
        checkPlumbing(p, violations);
        Set<String> unknown = new LinkedHashSet<>(jobs);
        unknown.removeAll(submitted);
        return new Report(jobs.size(), unknown.size(), tasks, statuses, attempts, lost, handbacks, runs, reruns, lostJobs, violations);
    }

    /** Any task: the processor never ran an attempt nobody claimed, nor one attempt twice. */
    private static void checkRuns(String id, String node, Map<String, String> t, Map<Integer, Run> runs, List<String> violations) {
        long claims = num(t, "attempts");
        for (Run r : runs.values()) {
            if (r.attempt > claims || r.attempt < 1) {
                violations.add("task " + id + "/" + node + ": the processor ran attempt #" + r.attempt + " but the task counts " + claims
                        + " claims");
            }
            if (r.workers.size() > 1) {
                violations.add("task " + id + "/" + node + ": attempt #" + r.attempt + " ran on several workers " + r.workers
                        + " (one claim taken twice)");
            }
        }
    }

    /**
     * A task of a successful job, against the processor's own record: the committing attempt (the
     * last claim) finished on the task's worker; no run started before each parent's committing
     * run finished; every run but the last is explained by a failure, a lost lease or a hand-back.
     */
    private static void checkSuccessfulRuns(String id, String node, Map<String, String> t, Map<Integer, Run> runs,
                                            List<String> parents, Map<String, Map<String, String>> taskFields,
                                            Map<String, Map<Integer, Run>> audit, List<String> violations) {
        int committing = (int) num(t, "attempts");
        Run last = runs.get(committing);
        if (last == null || last.finished < 0) {
            violations.add("task " + id + "/" + node + ": its committing attempt #" + committing + " has no finished run in the "
                    + "processor's own record (runs " + describe(runs) + ")");
        } else if (!last.workers.contains(t.get("worker"))) {
            violations.add("task " + id + "/" + node + ": its committing attempt #" + committing + " ran on " + last.workers
                    + ", the task names worker " + t.get("worker"));
        }
        for (String parent : parents) {
            Run parentRun = audit.getOrDefault(parent, Map.of()).get((int) num(taskFields.get(parent), "attempts"));
            if (parentRun == null || parentRun.finished < 0) {
                continue; // reported for the parent itself
            }
            for (Run r : runs.values()) {
                if (r.started >= 0 && r.started < parentRun.finished) {
                    violations.add("task " + id + "/" + node + ": attempt #" + r.attempt + " started (record #" + r.started
                            + ") before its parent " + parent + "'s committing attempt #" + parentRun.attempt + " finished (record #"
                            + parentRun.finished + "): released before that commit");
                }
            }
        }
        long failed = runs.values().stream().filter(r -> r.failed).count();
        long explained = failed + num(t, "lost") + num(t, "handbacks");
        if (runs.size() - 1 > explained) {
            violations.add("task " + id + "/" + node + " ran " + runs.size() + " times (claims its workers received) with "
                    + failed + " failed runs, " + num(t, "lost") + " lost leases and " + num(t, "handbacks")
                    + " hand-backs: dispatched again with no cause " + describe(runs));
        }
    }

    /** The processor's own record of a job: per node, per attempt number. */
    private static Map<String, Map<Integer, Run>> audit(RedisClusterCommands<String, String> redis, Keys keys, String job) {
        Map<String, Map<Integer, Run>> out = new LinkedHashMap<>();
        List<String> entries = redis.lrange(AuditProcessors.key(keys.namespace(), job), 0, -1);
        for (int i = 0; i < entries.size(); i++) {
            String[] f = entries.get(i).split("\\|", 6);
            if (f.length < 5) {
                continue;
            }
            int attempt = Integer.parseInt(f[2]);
            Run r = out.computeIfAbsent(f[1], n -> new TreeMap<>()).computeIfAbsent(attempt, Run::new);
            r.workers.add(f[3]);
            switch (f[0]) {
                case "S" -> r.started = r.started < 0 ? i : r.started;
                case "F" -> r.finished = r.finished < 0 ? i : r.finished;
                case "E" -> r.failed = true;
                default -> {
                    // I: interrupted, explains nothing by itself
                }
            }
        }
        return out;
    }

    private static String describe(Map<Integer, Run> runs) {
        StringBuilder b = new StringBuilder("[");
        runs.values().forEach(r -> b.append(" #").append(r.attempt).append(r.workers).append(" S@").append(r.started)
                .append(r.finished >= 0 ? " F@" + r.finished : "").append(r.failed ? " E" : ""));
        return b.append(" ]").toString();
    }

    /** Each node's parents, from the children lists the tasks carry. */
    private static Map<String, List<String>> parents(Map<String, Map<String, String>> tasks) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        tasks.forEach((node, t) -> {
            try {
                for (JsonNode child : JSON.readTree(t.getOrDefault("ch", "[]"))) {
                    out.computeIfAbsent(child.asText(), c -> new ArrayList<>()).add(node);
                }
            } catch (java.io.IOException e) {
                throw new AssertionError("unreadable children of " + node + ": " + t.get("ch"), e);
            }
        });
        return out;
    }

    /**
     * rabbitmqctl shows a quorum queue's unacked count as of its last metrics tick (every 5 s), so
     * an unacked message it reports is confirmed by a reading at least this much later.
     */
    static final Duration QUEUE_METRICS_TICK = Duration.ofMillis(5500);

    private static void checkPlumbing(Plumbing p, List<String> violations) throws Exception {
        RedisClusterCommands<String, String> redis = p.redis();
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
            long unacked = pendingEvents(redis, keys.events(shard));
            if (unacked > 0) {
                violations.add("shard " + shard + ": " + unacked + " completion events read and never acknowledged");
            }
            long leases = redis.zcard(keys.leases(shard));
            if (leases > 0) {
                violations.add("shard " + shard + ": " + leases + " leases left: " + redis.zrange(keys.leases(shard), 0, 9));
            }
            long timers = redis.zcard(keys.timers(shard));
            if (timers > 0) {
                violations.add("shard " + shard + ": " + timers + " timers left: " + redis.zrange(keys.timers(shard), 0, 9));
            }
            for (String queued : scan(redis, keys.shardPrefix(shard) + "queued:*")) {
                long n = redis.zcard(queued);
                if (n > 0) {
                    violations.add(queued + ": " + n + " tasks still queued (READY, never claimed): " + redis.zrange(queued, 0, 9));
                }
            }
        }
        for (int shard = 0; shard < keys.shards(); shard++) {
            long waiting = redis.zcard(keys.slotWaits(shard));
            if (waiting > 0) {
                violations.add("shard " + shard + ": " + waiting + " tasks or jobs still wait for a limit slot: "
                        + redis.zrange(keys.slotWaits(shard), 0, 9));
            }
        }
        // the limits' slot sets and wait lists live under '<ns>:{limits}' (one Redis Cluster slot)
        for (String held : scan(redis, keys.limits() + ":held:*")) {
            long n = redis.zcard(held);
            if (n > 0) {
                violations.add(held + ": " + n + " held tasks or jobs never started: " + redis.zrange(held, 0, 9));
            }
        }
        for (String slots : scan(redis, keys.limits() + ":slots:*")) {
            long n = redis.scard(slots);
            if (n > 0) {
                violations.add(slots + ": " + n + " limit slots still taken: " + redis.smembers(slots));
            }
        }
        long deadLetters = redis.llen(keys.deadLetters());
        if (deadLetters > 0) {
            violations.add(deadLetters + " dead letters: " + redis.lrange(keys.deadLetters(), 0, 2));
        }
        String pools = keys.namespace() + ".pool.";
        List<RabbitQueues.Stat> stats = p.queueStats();
        if (stats.stream().anyMatch(q -> q.unacked() > 0)) {
            Thread.sleep(QUEUE_METRICS_TICK.toMillis()); // maybe a stale tick: believe it when it lasts
            Map<String, Long> later = new LinkedHashMap<>();
            p.queueStats().forEach(q -> later.put(q.name(), q.unacked()));
            stats = stats.stream().map(q -> new RabbitQueues.Stat(q.name(), q.ready(), Math.min(q.unacked(), later.getOrDefault(q.name(), 0L)),
                    q.consumers())).toList();
        }
        Set<String> listed = new java.util.HashSet<>();
        stats.forEach(q -> listed.add(q.name()));
        for (String q : keys.poolQueues("default")) {
            if (!listed.contains(q)) {
                violations.add("queue " + q + " is not on the broker the ledger reads: its counts went unchecked");
            }
        }
        for (RabbitQueues.Stat q : stats) {
            boolean pool = q.name().startsWith(pools);
            if (q.ready() > 0) {
                violations.add("queue " + q.name() + " holds " + q.ready() + " ready messages after the run");
            }
            if (q.unacked() > 0) {
                violations.add("queue " + q.name() + " holds " + q.unacked() + " unacked messages after the run");
            }
            if (pool && q.consumers() > 0) {
                violations.add("queue " + q.name() + " still has " + q.consumers() + " consumers after the workers stopped");
            }
        }
    }

    /** Entries of the overseer's consumer group that were delivered and not acknowledged. */
    private static long pendingEvents(RedisClusterCommands<String, String> redis, String stream) {
        if (redis.exists(stream) == 0) {
            return 0;
        }
        try {
            return redis.xpending(stream, EventProcessor.GROUP).getCount();
        } catch (io.lettuce.core.RedisCommandExecutionException e) {
            return 0; // NOGROUP: never read
        }
    }

    private static List<String> scan(RedisClusterCommands<String, String> redis, String pattern) {
        List<String> out = new ArrayList<>();
        io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
        do {
            io.lettuce.core.KeyScanCursor<String> page = redis.scan(cursor, io.lettuce.core.ScanArgs.Builder.matches(pattern).limit(1000));
            out.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return out;
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
        String v = m == null ? null : m.get(field);
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
