package dev.pipewright.it.scripts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.redis.Script;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.infra.state.ClaimReply;
import dev.pipewright.infra.state.CommitReply;
import dev.pipewright.infra.state.OutboxEntry;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.NamespaceCleaner;
import dev.pipewright.overseer.dispatch.StreamGroups;
import dev.pipewright.overseer.release.EventProcessor;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.state.JobState;
import dev.pipewright.protocol.state.TaskState;
import io.lettuce.core.Consumer;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.pipewright.infra.redis.Scripts.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the state scripts against the real Redis under a namespace of its own, with the keys and
 * arguments their callers pass (the submit script's arguments as {@code JobSubmitter} builds them,
 * claim, commit and release through {@link StateGateway}, the others as the sweeper, stuck-task loop,
 * dead-letter consumer, limits and job control call them). {@link #check} wraps a call with what
 * every state change must keep: each task moved only along {@link TaskState#ALLOWED} (and each job
 * along {@link JobState#ALLOWED}), the job counters, running set, leases and queued sets matching
 * the tasks afterwards, and a replay of the same call changing no key of the namespace.
 */
final class ScriptBench implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int SHARDS = 2;
    static final Duration LEASE = Duration.ofSeconds(60);
    static final String WORKER = "bench-worker";
    private static final Set<String> COUNTED = Set.of("PENDING", "READY", "RUNNING", "RETRY_WAIT");

    final String namespace;
    final Keys keys;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> bytesConnection;
    private final StatefulRedisConnection<String, String> stringConnection;
    final RedisCommands<String, String> redis;
    final RedisAsyncCommands<String, String> async;
    final Scripts scripts;
    final StateGateway gateway;
    private final AtomicInteger attempts = new AtomicInteger();
    static final String OVERSEER = "bench-overseer";
    private final Map<Integer, ShardLease> leases = new java.util.concurrent.ConcurrentHashMap<>();
    private final Pattern jobKey;

    ScriptBench() {
        namespace = TestServices.freshNamespace("it-scripts");
        keys = new Keys(namespace, SHARDS);
        client = RedisClient.create(RedisURI.create(TestServices.redisUri()));
        bytesConnection = client.connect(ByteArrayCodec.INSTANCE);
        stringConnection = client.connect();
        redis = stringConnection.sync();
        async = stringConnection.async();
        scripts = new Scripts(RedisLink.of(bytesConnection));
        scripts.loadAll();
        gateway = new StateGateway(keys, RedisLink.of(bytesConnection), Duration.ofSeconds(10));
        jobKey = Pattern.compile("^" + Pattern.quote(namespace) + ":\\{s(\\d+)}:job:([a-z0-9]+)$");
    }

    @Override
    public void close() {
        try {
            NamespaceCleaner.cleanRedis(redis, namespace);
        } finally {
            client.shutdown();
        }
    }

    RedisCommands<String, String> redis() {
        return redis;
    }

    StatefulRedisConnection<byte[], byte[]> bytesConnection() {
        return bytesConnection;
    }

    // ---------------------------------------------------------------- jobs

    static JobId jobIn(int shard) {
        while (true) {
            JobId id = JobId.random();
            if (id.shard(SHARDS) == shard) {
                return id;
            }
        }
    }

    /** One process node of a planned job: the fields JobSubmitter writes for it. */
    static final class Task {
        final String node;
        final List<String> parents;
        String processor = "proc";
        String pool = "default";
        List<String> in;
        List<String> out;
        int max;
        long qt;
        long to;
        long hb;
        String backoff = "FIXED";
        long initial;
        String done;
        String sink;

        Task(String node, List<String> parents) {
            this.node = node;
            this.parents = parents;
            this.in = parents.isEmpty() ? List.of("seed") : parents.stream().map(ScriptBench::output).toList();
            this.out = List.of(output(node));
        }

        Task processor(String p) {
            processor = p;
            return this;
        }

        Task retries(int n) {
            max = n;
            return this;
        }

        Task queueTimeout(long ms) {
            qt = ms;
            return this;
        }

        Task timeout(long ms) {
            to = ms;
            return this;
        }

        Task reusedFrom(String job) {
            done = job;
            return this;
        }
    }

    /** The data node a bench task writes. */
    static String output(String node) {
        return "x_" + node;
    }

    final class Plan {
        final JobId id;
        final int shard;
        final Map<String, Task> tasks = new LinkedHashMap<>();
        String pipeline = "bench";
        String priority = "medium";
        long deadline;
        boolean start = true;

        Plan(int shard) {
            this.id = jobIn(shard);
            this.shard = shard;
        }

        Task task(String node, String... parents) {
            Task t = new Task(node, List.of(parents));
            tasks.put(node, t);
            return t;
        }

        Plan pipeline(String p) {
            pipeline = p;
            return this;
        }

        Plan deadline(long ms) {
            deadline = ms;
            return this;
        }

        Plan built() {
            start = false;
            return this;
        }

        /** Whether the submission says more chunks follow (none will: its build timer is due in buildPatienceMs). */
        boolean more;
        long buildPatienceMs = 60_000;
        /** Tasks the job counts that this submission does not write (its later chunks). */
        int unwritten;

        /** The task table of these tasks, as JobSubmitter writes a chunk of it (with each task's parents). */
        String table(java.util.Collection<Task> chunk) {
            ArrayNode list = JSON.createArrayNode();
            for (Task t : chunk) {
                list.add(taskJson(t));
                ArrayNode pa = ((ObjectNode) list.get(list.size() - 1)).putArray("pa");
                t.parents.forEach(pa::add);
            }
            return list.toString();
        }

        /** Writes a later chunk of the job (submit_chunk.lua), as JobSubmitter does; checked and replayed. */
        Checked<OutboxEntry.Reply> chunk(List<Task> chunk, boolean last) throws Exception {
            String json = table(chunk);
            return check("submit_chunk " + id, () -> gateway.submitChunk(id, bytes(json), last, Duration.ofSeconds(60)));
        }

        private ObjectNode taskJson(Task t) {
            ObjectNode o = JSON.createObjectNode();
            fill(o, t);
            return o;
        }

        /** Tasks of the plan that the first submission leaves to a later chunk ({@link #chunk}). */
        final java.util.Set<String> later = new java.util.HashSet<>();

        /** The submission, as JobSubmitter builds it (its first chunk: the tasks not {@link #later}). */
        StateGateway.Submission submission() throws Exception {
            ArrayNode list = JSON.createArrayNode();
            for (Task t : tasks.values()) {
                if (!later.contains(t.node)) {
                    fill(list.addObject(), t);
                }
            }
            return submissionOf(list);
        }

        private void fill(ObjectNode o, Task t) {
            {
                o.put("node", t.node);
                o.put("processor", t.processor);
                o.put("pool", t.pool);
                ObjectNode spec = JSON.createObjectNode();
                spec.put("processor", t.processor);
                spec.set("input", JSON.valueToTree(t.in));
                spec.set("output", JSON.valueToTree(t.out));
                o.put("spec", spec.toString());
                ArrayNode in = o.putArray("in");
                t.in.forEach(in::add);
                o.put("np", t.parents.size());
                ArrayNode ch = o.putArray("ch");
                tasks.values().stream().filter(c -> c.parents.contains(t.node)).forEach(c -> ch.add(c.node));
                o.put("max", t.max);
                o.put("qt", t.qt);
                o.put("to", t.to);
                o.put("hb", t.hb);
                o.put("bk", t.backoff);
                o.put("bi", t.initial);
                o.put("bm", 0);
                o.put("bj", 0.0);
                if (t.done != null) {
                    o.put("done", t.done);
                }
                if (t.sink != null) {
                    o.put("sink", t.sink);
                }
            }
        }

        private StateGateway.Submission submissionOf(ArrayNode list) throws Exception {
            ObjectNode job = JSON.createObjectNode();
            job.put("id", id.value());
            job.put("pipeline", pipeline);
            job.put("version", 1);
            job.put("params", "{\"p\":1}");
            job.put("outputs", "[]");
            job.put("pruned", "[]");
            job.put("deadline", deadline);
            job.put("name", "bench " + id.value());
            job.put("priority", priority);
            Map<String, StateGateway.Output> inputs = new LinkedHashMap<>();
            inputs.put("seed", new StateGateway.Output(bytes("s"), "text/plain"));
            for (Task t : tasks.values()) {
                if (t.done != null) {
                    // a reused task's outputs are copied in with the job inputs
                    inputs.put(output(t.node), new StateGateway.Output(bytes("reused " + t.node), "text/plain"));
                }
            }
            return new StateGateway.Submission(id, bytes(JSON.writeValueAsString(job)), bytes(JSON.writeValueAsString(list)), start,
                    tasks.size() + unwritten, more, Duration.ofMillis(buildPatienceMs), inputs);
        }

        OutboxEntry.Reply submit() throws Exception {
            StateGateway.Submission submission = submission();
            Checked<OutboxEntry.Reply> r = check("submit " + id, () -> gateway.submit(submission));
            assertEquals("exists", r.replay().status(), "a second submission of the job creates nothing");
            return r.first();
        }

        String state(String node) {
            return ScriptBench.this.state(id, node);
        }

        String taskKey(String node) {
            return keys.task(id, node);
        }
    }

    Plan plan(int shard) {
        return new Plan(shard);
    }

    String state(JobId job, String node) {
        return redis.hget(keys.task(job, node), "state");
    }

    String status(JobId job) {
        return redis.hget(keys.job(job), "status");
    }

    long dispatchOf(JobId job, String node) {
        String d = redis.hget(keys.task(job, node), "dispatch");
        assertTrue(d != null, job + "/" + node + " has no dispatch id");
        return Long.parseLong(d);
    }

    String attemptOf(JobId job, String node) {
        return redis.hget(keys.task(job, node), "attempt");
    }

    // ---------------------------------------------------------------- script calls

    OutboxEntry.Reply reply(Script script, byte[][] keyList, byte[]... argv) throws Exception {
        return OutboxEntry.Reply.of(raw(script, keyList, argv));
    }

    List<Object> raw(Script script, byte[][] keyList, byte[]... argv) throws Exception {
        return scripts.<List<Object>>run(script, ScriptOutputType.MULTI, keyList, argv).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static byte[][] args(String... values) {
        return Scripts.keys(values);
    }

    String newAttemptId() {
        return "att-" + attempts.incrementAndGet();
    }

    /** A claim batch through the gateway, as the worker's AttemptStore sends it. */
    List<ClaimReply> claim(int shard, Duration lease, List<StateGateway.AttemptRef> refs) throws Exception {
        return gateway.await(gateway.claim(shard, WORKER, lease, refs));
    }

    /** Claims the task's current dispatch (checked); returns the attempt id. */
    String claimOne(JobId job, String node) throws Exception {
        return claimOne(job, node, LEASE);
    }

    String claimOne(JobId job, String node, Duration lease) throws Exception {
        String attempt = newAttemptId();
        StateGateway.AttemptRef ref = new StateGateway.AttemptRef(job.value(), node, dispatchOf(job, node), attempt);
        Checked<List<ClaimReply>> r = check("claim " + job + "/" + node, () -> claim(job.shard(SHARDS), lease, List.of(ref)));
        assertTrue(r.first().get(0) instanceof ClaimReply.Claimed || r.first().get(0) instanceof ClaimReply.MissingInput,
                "claimed: " + r.first());
        assertEquals(List.of(new ClaimReply.Stale("RUNNING")), r.replay(), "the same message claimed again is a duplicate");
        return attempt;
    }

    List<CommitReply> commit(int shard, List<StateGateway.Commit> commits) throws Exception {
        return gateway.await(gateway.commit(shard, commits));
    }

    static StateGateway.Commit ok(JobId job, String node, String attempt) {
        return new StateGateway.Commit(job.value(), node, attempt, StateGateway.Outcome.OK, "", false,
                Map.of(output(node), new StateGateway.Output(bytes("out of " + node), "text/plain")));
    }

    static StateGateway.Commit failed(JobId job, String node, String attempt, StateGateway.Outcome outcome, boolean retryable) {
        return new StateGateway.Commit(job.value(), node, attempt, outcome, outcome.wire() + " of " + node, retryable, Map.of());
    }

    /** One commit, checked; returns its reply. */
    CommitReply commitOne(JobId job, StateGateway.Commit c) throws Exception {
        Checked<List<CommitReply>> r = check("commit " + c.outcome() + " " + job + "/" + c.node(), () -> commit(job.shard(SHARDS), List.of(c)));
        return r.first().get(0);
    }

    /** Claims and commits ok (outputs written), checked. */
    void succeed(JobId job, String node) throws Exception {
        String attempt = claimOne(job, node);
        assertEquals("ok", commitOne(job, ok(job, node, attempt)).wire());
    }

    /** New completion events of a shard, read with the overseer's consumer group as EventProcessor reads them. */
    List<StateGateway.Event> readEvents(int shard) {
        String stream = keys.events(shard);
        StreamGroups.ensure(redis, stream, EventProcessor.GROUP);
        List<StreamMessage<String, String>> batch = redis.xreadgroup(Consumer.from(EventProcessor.GROUP, "bench"),
                XReadArgs.Builder.count(1000), XReadArgs.StreamOffset.lastConsumed(stream));
        List<StateGateway.Event> out = new ArrayList<>();
        for (StreamMessage<String, String> m : batch) {
            out.add(new StateGateway.Event(m.getId(), m.getBody().get("j"), m.getBody().get("n"), m.getBody().get("o")));
        }
        return out;
    }

    /** The bench plays the overseer serving every shard: it holds each shard's lease, as the overseer's calls need. */
    ShardLease lease(int shard) throws Exception {
        ShardLease held = leases.get(shard);
        if (held == null) {
            held = gateway.takeLease(shard, OVERSEER, Duration.ofMinutes(10))
                    .orElseThrow(() -> new AssertionError("shard " + shard + " of a fresh namespace is held by someone"));
            leases.put(shard, held);
        }
        return held;
    }

    /** Forgets the leases held, so the next call takes them anew (after a test took one over). */
    void forgetLeases() {
        leases.clear();
    }

    /** The event processor's call, with the concurrency slots it gives back settled as the processor does. */
    OutboxEntry.Reply release(int shard, List<StateGateway.Event> events) throws Exception {
        return gateway.settle(OutboxEntry.Reply.of(gateway.await(gateway.release(lease(shard), EventProcessor.GROUP, events))));
    }

    /** Releases every new event of the shard as an event processor that dies before it gives back their slots. */
    OutboxEntry.Reply releaseUnsettled(int shard) throws Exception {
        return OutboxEntry.Reply.of(gateway.await(gateway.release(lease(shard), EventProcessor.GROUP, readEvents(shard))));
    }

    /** Releases every new event of the shard (checked: a replay finds them all duplicates, or their jobs gone). */
    OutboxEntry.Reply releaseAll(int shard) throws Exception {
        List<StateGateway.Event> events = readEvents(shard);
        Checked<OutboxEntry.Reply> r = check("release " + events.size() + " events of shard " + shard, () -> release(shard, events));
        for (String s : r.replay().status().split(",", -1)) {
            assertTrue(s.equals("duplicate") || s.equals("gone") || s.isEmpty(), "replayed release: " + r.replay().status());
        }
        return r.first();
    }

    /** The sweeper's call for a due timer member. */
    OutboxEntry.Reply timer(int shard, String member) throws Exception {
        String[] parts = member.split("\\|");
        JobId job = new JobId(parts[1]);
        return gateway.fireTimer(lease(shard), member, job, parts[0], parts.length > 2 ? parts[2] : "", parts.length > 3 ? parts[3] : "");
    }

    /** The sweeper's call for a lease member. */
    OutboxEntry.Reply expire(JobId job, String node, int maxLostLeases) throws Exception {
        return gateway.expire(lease(job.shard(SHARDS)), job, node, maxLostLeases);
    }

    /** A stop's answer as {@code stop.lua} words it: {@code <status>:<running attempts>}. */
    static String said(StateGateway.Stopped s) {
        return s.status() + ":" + s.running();
    }

    /** JobControl's cancel. */
    StateGateway.Stopped stop(JobId job) throws Exception {
        return gateway.stop(job, "cancelled by request");
    }

    /** JobControl's start. */
    OutboxEntry.Reply start(JobId job) throws Exception {
        return gateway.start(job);
    }

    /** The dead-letter consumer's call. */
    StateGateway.Poisoned poison(JobId job, String node, long dispatch) throws Exception {
        return gateway.poison(job, node, dispatch, "task message dead-lettered: bench");
    }

    /** The stuck-task loop's call. */
    OutboxEntry.Reply requeue(JobId job, String node, String pool, long cutoffMs) throws Exception {
        return gateway.requeue(lease(job.shard(SHARDS)), pool, job, node, cutoffMs);
    }

    /** The limits API's call ({@code max} empty removes the limit). */
    OutboxEntry.Reply limit(String kind, String name, String max) throws Exception {
        return gateway.limit(kind, name, max);
    }

    /** The worker's heartbeat. */
    boolean renew(JobId job, String node, String attempt, Duration lease) throws Exception {
        return gateway.await(gateway.renew(job.shard(SHARDS), job, node, attempt, lease));
    }

    // ---------------------------------------------------------------- the checks

    /** A checked call's reply and its replay's. */
    record Checked<T>(T first, T replay) {
    }

    /**
     * Runs the call, then holds the namespace to the state machine and the bookkeeping, then runs
     * the very same call again and requires it to change no key.
     */
    <T> Checked<T> check(String what, Callable<T> call) throws Exception {
        return check(what, call, Set.of());
    }

    /** As above; the replay may change the keys named (only a heartbeat, which moves its lease on, needs this). */
    <T> Checked<T> check(String what, Callable<T> call, Set<String> replayMayChange) throws Exception {
        List<JobView> before = readJobs();
        T first = call.call();
        List<JobView> after = readJobs();
        assertMovesAllowed(what, taskStates(before), taskStates(after), jobStatuses(before), jobStatuses(after));
        assertEquals(List.of(), bookkeeping(after, false), what + ": bookkeeping");
        Map<String, String> snapshot = snapshot();
        Thread.sleep(2); // the replay comes later, as a redelivered message or a retried call would
        T replay = call.call();
        Map<String, String> replayed = snapshot();
        replayMayChange.forEach(k -> {
            snapshot.remove(k);
            replayed.remove(k);
        });
        assertSameKeys(what + " (replayed)", snapshot, replayed);
        return new Checked<>(first, replay);
    }

    void assertBookkeeping(String what) throws Exception {
        assertEquals(List.of(), bookkeeping(readJobs(), false), what + ": bookkeeping");
    }

    /** Only the counters n:<STATE> and the running sets of every job, recounted from the tasks. */
    void assertCounters(String what) throws Exception {
        assertEquals(List.of(), bookkeeping(readJobs(), true), what + ": counters");
    }

    private static <T> T get(RedisFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** One job as read at once: its hash, its tasks' hashes, its running and done sets. */
    record JobView(String key, int shard, String id, Map<String, String> hash, Map<String, Map<String, String>> tasks,
                   Set<String> running, Set<String> done) {
    }

    /**
     * Every job of the namespace, found in the shards' job indexes (which submit.lua writes: no SCAN
     * of a shared Redis needed), read with pipelined commands.
     */
    List<JobView> readJobs() throws Exception {
        List<String> jobs = new ArrayList<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            for (String id : redis.zrange(keys.jobIndex(shard), 0, -1)) {
                jobs.add(keys.shardPrefix(shard) + "job:" + id);
            }
        }
        Map<String, RedisFuture<Map<String, String>>> hashes = new LinkedHashMap<>();
        Map<String, RedisFuture<List<String>>> nodes = new LinkedHashMap<>();
        Map<String, RedisFuture<Set<String>>> running = new LinkedHashMap<>();
        Map<String, RedisFuture<Set<String>>> done = new LinkedHashMap<>();
        for (String job : jobs) {
            hashes.put(job, async.hgetall(job));
            nodes.put(job, async.lrange(job + ":nodes", 0, -1));
            running.put(job, async.smembers(job + ":running"));
            done.put(job, async.smembers(job + ":done"));
        }
        Map<String, Map<String, RedisFuture<Map<String, String>>>> tasks = new LinkedHashMap<>();
        for (String job : jobs) {
            Map<String, RedisFuture<Map<String, String>>> t = new LinkedHashMap<>();
            for (String node : get(nodes.get(job))) {
                t.put(node, async.hgetall(job + ":t:" + node));
            }
            tasks.put(job, t);
        }
        List<JobView> out = new ArrayList<>();
        for (String job : jobs) {
            Matcher m = jobKey.matcher(job);
            assertTrue(m.matches(), job);
            Map<String, Map<String, String>> t = new LinkedHashMap<>();
            for (Map.Entry<String, RedisFuture<Map<String, String>>> e : tasks.get(job).entrySet()) {
                t.put(e.getKey(), get(e.getValue()));
            }
            out.add(new JobView(job, Integer.parseInt(m.group(1)), m.group(2), get(hashes.get(job)), t,
                    new TreeSet<>(get(running.get(job))), new TreeSet<>(get(done.get(job)))));
        }
        return out;
    }

    /** Task key -> state, for every task of every job. */
    static Map<String, String> taskStates(List<JobView> jobs) {
        Map<String, String> out = new TreeMap<>();
        for (JobView j : jobs) {
            j.tasks().forEach((node, t) -> out.put(j.key() + ":t:" + node, t.get("state")));
        }
        return out;
    }

    static Map<String, String> jobStatuses(List<JobView> jobs) {
        Map<String, String> out = new TreeMap<>();
        for (JobView j : jobs) {
            out.put(j.key(), j.hash().get("status"));
        }
        return out;
    }

    static void assertMovesAllowed(String what, Map<String, String> tasksBefore, Map<String, String> tasksAfter,
                                   Map<String, String> jobsBefore, Map<String, String> jobsAfter) {
        List<String> problems = new ArrayList<>();
        tasksBefore.forEach((k, s) -> {
            if (!tasksAfter.containsKey(k)) {
                problems.add(k + " vanished");
            }
        });
        tasksAfter.forEach((k, to) -> {
            String from = tasksBefore.get(k);
            if (to == null) {
                problems.add(k + " has no state");
            } else if (from == null) {
                // created by submit in its first state (and possibly dispatched at once)
                if (!to.equals("PENDING") && !to.equals("SUCCESS") && !TaskState.PENDING.canMoveTo(TaskState.valueOf(to))) {
                    problems.add(k + " created as " + to);
                }
            } else if (!from.equals(to) && !TaskState.valueOf(from).canMoveTo(TaskState.valueOf(to))) {
                problems.add(k + ": " + from + " -> " + to + " is not in TaskState.ALLOWED");
            }
        });
        jobsAfter.forEach((k, to) -> {
            String from = jobsBefore.get(k);
            if (from != null && !from.equals(to) && !reachable(JobState.valueOf(from), JobState.valueOf(to))) {
                problems.add(k + ": job " + from + " -> " + to + " is not reachable in JobState.ALLOWED");
            }
        });
        assertEquals(List.of(), problems, what);
    }

    /**
     * A job can take several steps in one call (a start that finds nothing left to run goes READY,
     * RUNNING, SUCCESS), so for jobs the check is a path through the table.
     */
    static boolean reachable(JobState from, JobState to) {
        Set<JobState> seen = EnumSet.of(from);
        Deque<JobState> todo = new ArrayDeque<>(seen);
        while (!todo.isEmpty()) {
            for (JobState next : JobState.ALLOWED.get(todo.poll())) {
                if (next == to) {
                    return true;
                }
                if (seen.add(next)) {
                    todo.add(next);
                }
            }
        }
        return false;
    }

    private static int number(Map<String, String> hash, String field) {
        return Integer.parseInt(hash.getOrDefault(field, "0"));
    }

    /**
     * What the scripts keep beside the task states, recounted from the task hashes: per job the
     * counters {@code n:<STATE>}, the running set, the ended-task counters against the {@code :done}
     * set; per shard the leases (exactly the RUNNING tasks), the queued sets (exactly the READY
     * tasks that are dispatched, not held) and the timers (only pending work).
     */
    private List<String> bookkeeping(List<JobView> jobs, boolean countersOnly) throws Exception {
        List<String> problems = new ArrayList<>();
        Map<Integer, Set<String>> running = new TreeMap<>();
        Map<String, Set<String>> queued = new TreeMap<>();
        for (JobView j : jobs) {
            Map<String, Integer> counted = new TreeMap<>();
            Set<String> runningNodes = new TreeSet<>();
            j.tasks().forEach((node, t) -> {
                String state = t.get("state");
                if (COUNTED.contains(state)) {
                    counted.merge(state, 1, Integer::sum);
                }
                if ("RUNNING".equals(state)) {
                    runningNodes.add(node);
                    running.computeIfAbsent(j.shard(), s -> new TreeSet<>()).add(j.id() + "|" + node);
                }
                Set<String> q = queued.computeIfAbsent(keys.queued(j.shard(), t.getOrDefault("pool", "default")), k -> new TreeSet<>());
                if ("READY".equals(state) && !"1".equals(t.get("held"))) {
                    q.add(j.id() + "|" + node);
                }
            });
            for (String state : COUNTED) {
                int kept = number(j.hash(), "n:" + state);
                int actual = counted.getOrDefault(state, 0);
                if (kept != actual) {
                    problems.add(j.key() + " n:" + state + " = " + kept + " but " + actual + " tasks are " + state);
                }
            }
            if (!j.running().equals(runningNodes)) {
                problems.add(j.key() + ":running = " + j.running() + " but the RUNNING tasks are " + runningNodes);
            }
            if (countersOnly) {
                continue;
            }
            int terminal = number(j.hash(), "terminal");
            if (terminal != j.done().size()) {
                problems.add(j.key() + " terminal = " + terminal + " but :done holds " + j.done().size());
            }
            int sum = number(j.hash(), "succeeded") + number(j.hash(), "failed") + number(j.hash(), "skipped") + number(j.hash(), "cancelled");
            if (sum != terminal) {
                problems.add(j.key() + " succeeded+failed+skipped+cancelled = " + sum + " but terminal = " + terminal);
            }
            for (String node : j.done()) {
                Map<String, String> t = j.tasks().get(node);
                String state = t == null ? null : t.get("state");
                if (state == null || !TaskState.valueOf(state).isTerminal()) {
                    problems.add(j.key() + " counts " + node + " as ended but it is " + state);
                }
            }
        }
        if (countersOnly) {
            return problems;
        }
        for (int shard = 0; shard < SHARDS; shard++) {
            Set<String> leases = new TreeSet<>(redis.zrange(keys.leases(shard), 0, -1));
            Set<String> expected = running.getOrDefault(shard, Set.of());
            if (!leases.equals(expected)) {
                problems.add("shard " + shard + " leases " + leases + " but RUNNING tasks " + expected);
            }
            timers(shard, jobs, problems);
        }
        queued.forEach((q, expected) -> {
            Set<String> members = new TreeSet<>(redis.zrange(q, 0, -1));
            if (!members.equals(expected)) {
                problems.add(q + " holds " + members + " but the dispatched READY tasks are " + expected);
            }
        });
        return problems;
    }

    /**
     * The timer set holds only pending work: a retry timer for a RETRY_WAIT task (and each such task
     * has one), a queue timeout for a READY task's current dispatch, an attempt timeout for the
     * attempt holding a RUNNING task, a deadline for a job that has not ended.
     */
    private void timers(int shard, List<JobView> jobs, List<String> problems) {
        Map<String, JobView> byId = new TreeMap<>();
        jobs.stream().filter(j -> j.shard() == shard).forEach(j -> byId.put(j.id(), j));
        Set<String> members = new TreeSet<>(redis.zrange(keys.timers(shard), 0, -1));
        for (String member : members) {
            String[] p = member.split("\\|");
            JobView job = byId.get(p[1]);
            Map<String, String> t = job != null && p.length > 2 ? job.tasks().getOrDefault(p[2], Map.of()) : Map.of();
            boolean live = switch (p[0]) {
                case "r" -> "RETRY_WAIT".equals(t.get("state"));
                case "q" -> "READY".equals(t.get("state")) && p[3].equals(t.get("dispatch"));
                case "a" -> "RUNNING".equals(t.get("state")) && p[3].equals(t.get("attempt"));
                case "d" -> job != null && Set.of("RUNNING", "CANCELLING").contains(String.valueOf(job.hash().get("status")));
                case "b" -> job != null && "1".equals(job.hash().get("building"));
                default -> false;
            };
            if (!live) {
                problems.add("shard " + shard + " timer " + member + " stands for no pending work (task " + t.get("state") + ")");
            }
        }
        for (JobView j : byId.values()) {
            j.tasks().forEach((node, t) -> {
                if ("RETRY_WAIT".equals(t.get("state")) && !members.contains("r|" + j.id() + "|" + node)) {
                    problems.add(j.key() + "/" + node + " waits for a retry without a retry timer");
                }
            });
        }
    }

    List<String> scan(String pattern) {
        List<String> out = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(pattern).limit(10_000));
            out.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return out;
    }

    /** Every key of the namespace with its type and whole content (and whether it expires), read type by type, pipelined. */
    Map<String, String> snapshot() throws Exception {
        List<String> all = scan(namespace + ":*");
        Map<String, RedisFuture<String>> types = new LinkedHashMap<>();
        for (String key : all) {
            types.put(key, async.type(key));
        }
        Map<String, List<RedisFuture<?>>> reads = new LinkedHashMap<>();
        for (String key : all) {
            String type = get(types.get(key));
            List<RedisFuture<?>> r = new ArrayList<>();
            r.add(async.pttl(key));
            switch (type) {
                case "string" -> r.add(async.get(key));
                case "hash" -> r.add(async.hgetall(key));
                case "list" -> r.add(async.lrange(key, 0, -1));
                case "set" -> r.add(async.smembers(key));
                case "zset" -> r.add(async.zrangeWithScores(key, 0, -1));
                case "stream" -> {
                    r.add(async.xrange(key, io.lettuce.core.Range.create("-", "+")));
                    r.add(async.xinfoStream(key));
                    r.add(async.xinfoGroups(key));
                }
                case "none" -> {
                }
                default -> throw new IllegalStateException("unexpected type " + type + " of " + key);
            }
            reads.put(type + " " + key, r);
        }
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, List<RedisFuture<?>>> e : reads.entrySet()) {
            String type = e.getKey().substring(0, e.getKey().indexOf(' '));
            String key = e.getKey().substring(type.length() + 1);
            List<RedisFuture<?>> r = e.getValue();
            boolean expiring = (Long) get(r.get(0)) > 0;
            String content = switch (type) {
                case "string", "list" -> String.valueOf(get(r.get(1)));
                case "hash" -> new TreeMap<>((Map<?, ?>) get(r.get(1))).toString();
                case "set" -> new TreeSet<>((Set<?>) get(r.get(1))).toString();
                case "zset" -> ((List<?>) get(r.get(1))).stream().map(o -> {
                    ScoredValue<?> v = (ScoredValue<?>) o;
                    return v.getValue() + "=" + v.getScore();
                }).toList().toString();
                case "stream" -> stream(get(r.get(1)), get(r.get(2)), get(r.get(3)));
                default -> "(gone while reading)";
            };
            out.put(key, type + " " + content + (expiring ? " (expiring)" : ""));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static String stream(Object range, Object info, Object groups) {
        StringBuilder sb = new StringBuilder();
        for (StreamMessage<String, String> m : (List<StreamMessage<String, String>>) range) {
            sb.append(m.getId()).append(new TreeMap<>(m.getBody())).append(' ');
        }
        // what XRANGE cannot show: entries added and deleted, the groups' read positions and pending entries
        Map<String, Object> i = pairs((List<?>) info);
        for (String f : List.of("length", "last-generated-id", "max-deleted-entry-id", "entries-added")) {
            sb.append(f).append('=').append(i.get(f)).append(' ');
        }
        for (Object g : (List<?>) groups) {
            Map<String, Object> group = pairs((List<?>) g);
            for (String f : List.of("name", "pending", "last-delivered-id", "entries-read")) {
                sb.append(f).append('=').append(group.get(f)).append(' ');
            }
        }
        return sb.toString();
    }

    private static Map<String, Object> pairs(List<?> list) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i + 1 < list.size(); i += 2) {
            Object v = list.get(i + 1);
            out.put(Objects.toString(list.get(i)), v instanceof List<?> || v instanceof Map<?, ?> ? "(nested)" : v);
        }
        return out;
    }

    static void assertSameKeys(String what, Map<String, String> before, Map<String, String> after) {
        List<String> diff = new ArrayList<>();
        Set<String> all = new TreeSet<>(before.keySet());
        all.addAll(after.keySet());
        for (String k : all) {
            if (!Objects.equals(before.get(k), after.get(k))) {
                diff.add(k + "\n   before: " + before.get(k) + "\n   after:  " + after.get(k));
            }
        }
        if (!diff.isEmpty()) {
            fail(what + " changed " + diff.size() + " key(s):\n" + String.join("\n", diff));
        }
    }

    /** Scores of a sorted set, by member. */
    Map<String, Double> zset(String key) {
        Map<String, Double> out = new TreeMap<>();
        for (ScoredValue<String> v : redis.zrangeWithScores(key, 0, -1)) {
            out.put(v.getValue(), v.getScore());
        }
        return out;
    }
}
