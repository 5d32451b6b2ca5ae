package dev.pipewright.infra.state;

import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.redis.Script;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.pipewright.infra.redis.Scripts.bytes;

/**
 * The hot path's state transitions as typed calls: one method per script, arguments built in one
 * place, replies parsed into records. Each call takes a batch of one shard (all its keys carry the
 * shard's hash tag, so one call is one Redis Cluster slot); callers group by shard.
 */
public final class StateGateway {
    private static final Logger LOG = LoggerFactory.getLogger(StateGateway.class);
    /** Rounds of {@link #settle}: a grant can start a job whose tasks ask for slots, and so on; what is left, the sweep asks again. */
    private static final int SETTLE_ROUNDS = 20;

    private final Keys keys;
    private final Scripts scripts;
    private final RedisClusterAsyncCommands<byte[], byte[]> redis;
    private final Duration timeout;

    public StateGateway(Keys keys, RedisLink<byte[], byte[]> connection, Duration timeout) {
        this.keys = keys;
        this.scripts = new Scripts(connection);
        this.redis = connection.async();
        this.timeout = timeout;
    }

    public Keys keys() {
        return keys;
    }

    /** One attempt to claim: the message's job, node and dispatch id, and the new attempt's id. */
    public record AttemptRef(String job, String node, long dispatch, String attemptId) {
    }

    public CompletableFuture<List<ClaimReply>> claim(int shard, String workerId, Duration defaultLease, List<AttemptRef> attempts) {
        List<byte[]> args = new ArrayList<>(2 + 4 * attempts.size());
        args.add(bytes(workerId));
        args.add(bytes(Long.toString(defaultLease.toMillis())));
        for (AttemptRef a : attempts) {
            args.add(bytes(a.job()));
            args.add(bytes(a.node()));
            args.add(bytes(Long.toString(a.dispatch())));
            args.add(bytes(a.attemptId()));
        }
        return scripts.<List<Object>>run(Script.CLAIM, ScriptOutputType.MULTI,
                Scripts.keys(keys.leases(shard), keys.timers(shard)), args.toArray(new byte[0][]))
                .toCompletableFuture().thenApply(StateGateway::claimReplies);
    }

    /**
     * Parses the claim script's raw reply, one list per attempt ({@code ok, spec, params, attempts,
     * lease ms, µs since READY, infra, input values...}, {@code missing, data node, processor} or
     * {@code stale, state}), into replies in the same order.
     */
    public static List<ClaimReply> claimReplies(List<Object> raw) {
        List<ClaimReply> out = new ArrayList<>(raw.size());
        for (Object o : raw) {
            List<?> r = (List<?>) o;
            String status = Scripts.text(r.get(0));
            out.add(switch (status) {
                case "stale" -> new ClaimReply.Stale(Scripts.text(r.get(1)));
                case "missing" -> new ClaimReply.MissingInput(Scripts.text(r.get(1)), Scripts.text(r.get(2)));
                case "ok" -> {
                    List<byte[]> inputs = new ArrayList<>(r.size() - 7);
                    for (int i = 7; i < r.size(); i++) {
                        inputs.add((byte[]) r.get(i));
                    }
                    yield new ClaimReply.Claimed((byte[]) r.get(1), (byte[]) r.get(2), Integer.parseInt(Scripts.text(r.get(3))),
                            Duration.ofMillis(Long.parseLong(Scripts.text(r.get(4)))),
                            Duration.ofNanos(Long.parseLong(Scripts.text(r.get(5))) * 1000), Scripts.text(r.get(6)), inputs);
                }
                default -> throw new IllegalStateException("unexpected claim answer " + status);
            });
        }
        return out;
    }

    /** How an attempt ended, as the commit script takes it. */
    public enum Outcome {
        OK("ok"), FAIL("fail"), TIMEOUT("timeout"), INTERRUPTED("interrupted"), HANDBACK("handback"), REFUSE("refuse"),
        /** Not run: the outputs are a memoised result (error: the job it came from); the task ends CACHED. */
        CACHED("cached");

        private final String wire;

        Outcome(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    /** One output value and its content type. */
    public record Output(byte[] value, String contentType) {
    }

    /** One attempt's end: outputs only with {@link Outcome#OK}; {@code error} and {@code retryable} for the others. */
    public record Commit(String job, String node, String attemptId, Outcome outcome, String error, boolean retryable,
                         Map<String, Output> outputs) {
    }

    /** The longest error text stored with a task. */
    public static final int ERROR_MAX = 8000;

    public CompletableFuture<List<CommitReply>> commit(int shard, List<Commit> commits) {
        return scripts.<List<Object>>run(Script.COMMIT, ScriptOutputType.MULTI,
                Scripts.keys(keys.leases(shard), keys.events(shard)), commitArgs(commits))
                .toCompletableFuture().thenApply(raw -> {
                    List<CommitReply> out = new ArrayList<>(raw.size());
                    for (Object o : raw) {
                        out.add(CommitReply.parse(Scripts.text(o)));
                    }
                    return out;
                });
    }

    /**
     * The commit script's arguments for a batch: per attempt its job, node, attempt id, outcome,
     * error (cut at {@value #ERROR_MAX} characters), retryable ({@code 1}/{@code 0}) and number of
     * outputs, then each output's name, value and content type.
     */
    public static byte[][] commitArgs(List<Commit> commits) {
        // sized up front: a growing list and its final copy were about half of what a batch of 64 allocated
        int n = 0;
        for (Commit c : commits) {
            n += 7 + 3 * c.outputs().size();
        }
        byte[][] args = new byte[n][];
        int i = 0;
        for (Commit c : commits) {
            args[i++] = bytes(c.job());
            args[i++] = bytes(c.node());
            args[i++] = bytes(c.attemptId());
            args[i++] = bytes(c.outcome().wire());
            String error = c.error() == null ? "" : c.error();
            args[i++] = bytes(error.length() > ERROR_MAX ? error.substring(0, ERROR_MAX) + "…" : error);
            args[i++] = bytes(c.retryable() ? "1" : "0");
            args[i++] = bytes(Integer.toString(c.outputs().size()));
            for (Map.Entry<String, Output> e : c.outputs().entrySet()) {
                args[i++] = bytes(e.getKey());
                args[i++] = e.getValue().value();
                args[i++] = bytes(e.getValue().contentType());
            }
        }
        return args;
    }

    /** One completion event read from a shard's stream. */
    public record Event(String entryId, String job, String node, String outcome) {
    }

    /**
     * Applies completion events of one shard and acknowledges them; the raw reply is the
     * dispatching scripts' ({@code status, ends, outbox entries...}) with one status per event,
     * comma separated, as its status.
     */
    public CompletableFuture<List<Object>> release(ShardLease lease, String group, List<Event> events) {
        int shard = lease.shard();
        List<byte[]> args = new ArrayList<>(4 + 4 * events.size());
        args.add(bytes(lease.owner()));
        args.add(bytes(Long.toString(lease.token())));
        args.add(bytes(group));
        args.add(bytes(Integer.toString(shard)));
        for (Event e : events) {
            args.add(bytes(e.entryId()));
            args.add(bytes(e.job()));
            args.add(bytes(e.node()));
            args.add(bytes(e.outcome()));
        }
        return scripts.<List<Object>>run(Script.RELEASE, ScriptOutputType.MULTI,
                Scripts.keys(keys.shardOwner(shard), keys.events(shard), keys.outbox(shard)), args.toArray(new byte[0][])).toCompletableFuture();
    }

    /** What is set aside: a refused or failing event, a timer, or a lease expiry. */
    public enum AsideKind {
        /** An event whose outputs the data store refuses: its job is stopped, the event is then released as usual. */
        STORE("store"),
        /** An event that failed its retries: dropped from the stream. */
        EVENT("event"),
        /** A timer that failed its retries: removed from the timer set. */
        TIMER("timer"),
        /** A lease expiry that failed its retries: removed from the lease set. */
        LEASE("lease");

        private final String wire;

        AsideKind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    /** Records kept in a shard's set-aside stream (older ones are trimmed). */
    public static final int SET_ASIDE_KEPT = 10_000;

    /**
     * Sets aside an item that keeps failing ({@code setaside.lua}): records it with its reason in the
     * shard's set-aside stream and stops its job (FAILED, with that reason); the status says what
     * became of the job ({@code stopping}, the status it already had, {@code gone}).
     *
     * @param item the event's entry id, or the timer's or lease's member
     * @param job  the job's id, or null when the item names none
     */
    public OutboxEntry.Reply setAside(ShardLease lease, String group, AsideKind kind, String item, String job, String node,
                                      String reason) throws Exception {
        int shard = lease.shard();
        return dispatching(Script.SET_ASIDE, Scripts.keys(keys.shardOwner(shard), keys.events(shard), keys.setAside(shard),
                        keys.timers(shard), keys.leases(shard)), bytes(lease.owner()), bytes(Long.toString(lease.token())), bytes(group),
                bytes(kind.wire()), bytes(item), bytes(job == null ? "" : job), bytes(node == null ? "" : node), bytes(reason),
                bytes(Integer.toString(SET_ASIDE_KEPT)));
    }

    /** What a new job's first call writes: see {@link #submit}. */
    public record Submission(JobId job, byte[] fields, byte[] firstTasks, boolean start, int totalTasks, boolean more,
                             Duration buildPatience, Map<String, Output> inputs) {
    }

    /**
     * Creates a job with its first chunk of tasks ({@code submit.lua}); its status is
     * {@code exists}, {@code READY} (built), {@code RUNNING} or {@code PENDING} (its pipeline's limit).
     */
    public OutboxEntry.Reply submit(Submission s) throws Exception {
        int shard = s.job().shard(keys.shards());
        byte[][] args = new byte[8 + 3 * s.inputs().size()][];
        args[0] = s.fields();
        args[1] = s.firstTasks();
        args[2] = flag(s.start());
        args[3] = bytes(s.job().value());
        args[4] = bytes(Integer.toString(shard));
        args[5] = bytes(Integer.toString(s.totalTasks()));
        args[6] = flag(s.more());
        args[7] = bytes(Long.toString(s.buildPatience().toMillis()));
        int i = 8;
        for (Map.Entry<String, Output> e : s.inputs().entrySet()) {
            args[i++] = bytes(e.getKey());
            args[i++] = e.getValue().value();
            args[i++] = bytes(e.getValue().contentType());
        }
        OutboxEntry.Reply reply = dispatching(Script.SUBMIT, Scripts.keys(keys.job(s.job()), keys.outbox(shard), keys.jobIndex(shard),
                keys.nodes(s.job()), keys.data(s.job()), keys.contentTypes(s.job())), args);
        if (reply.status().equals("PENDING")) {
            // its pipeline's slot may have been granted while the reply was settled: say what it is now
            byte[] status = await(redis.hget(bytes(keys.job(s.job())), bytes("status")));
            if (status != null) {
                return new OutboxEntry.Reply(Scripts.text(status), reply.ends(), reply.slots(), reply.dispatched());
            }
        }
        return reply;
    }

    /** Writes a later chunk of a job's tasks ({@code submit_chunk.lua}): status {@code written}, or {@code gone} when the job is no longer being built. */
    public OutboxEntry.Reply submitChunk(JobId job, byte[] tasks, boolean last, Duration buildPatience) throws Exception {
        int shard = job.shard(keys.shards());
        return dispatching(Script.SUBMIT_CHUNK, Scripts.keys(keys.job(job), keys.outbox(shard)), bytes(job.value()),
                bytes(Integer.toString(shard)), tasks, flag(last), bytes(Long.toString(buildPatience.toMillis())));
    }

    /** Starts a built job ({@code start.lua}): status {@code started}, {@code gone}, or the status of a job that was not READY. */
    public OutboxEntry.Reply start(JobId job) throws Exception {
        int shard = job.shard(keys.shards());
        return dispatching(Script.START, Scripts.keys(keys.job(job), keys.outbox(shard)), bytes(job.value()), bytes(Integer.toString(shard)));
    }

    /**
     * What cancelling did: {@code status} is {@code stopping} (then {@code running} attempts must be
     * told to stop), {@code gone}, or the status of a job that was ending or had ended; {@code reply}
     * carries held tasks of other jobs that the freed slots dispatched.
     */
    public record Stopped(String status, int running, OutboxEntry.Reply reply) {
    }

    /** Cancels a job ({@code stop.lua}). */
    public Stopped stop(JobId job, String reason) throws Exception {
        OutboxEntry.Reply r = dispatching(Script.STOP, Scripts.keys(keys.job(job)), bytes(job.value()), bytes(reason));
        int colon = r.status().lastIndexOf(':');
        return new Stopped(r.status().substring(0, colon), Integer.parseInt(r.status().substring(colon + 1)), r);
    }

    /**
     * A due timer of a shard ({@code timer.lua}); the member is {@code <kind>|<job>[|<node>[|<token>]]}.
     * Status {@code dispatched}, {@code timedout}, {@code stopping}, {@code stale}, {@code gone} or {@code unknown}.
     */
    public OutboxEntry.Reply fireTimer(ShardLease lease, String member, JobId job, String kind, String node, String token) throws Exception {
        int shard = lease.shard();
        return dispatching(Script.TIMER, Scripts.keys(keys.shardOwner(shard), keys.job(job), keys.timers(shard), keys.outbox(shard),
                        keys.events(shard), keys.leases(shard)), bytes(lease.owner()), bytes(Long.toString(lease.token())), bytes(member), bytes(job.value()), bytes(Integer.toString(shard)), bytes(kind), bytes(node), bytes(token));
    }

    /**
     * Consumables of a job by name, in order (null where none): how a worker reads the items of a
     * collected per-item output, a bounded slice per call.
     */
    public List<byte[]> readData(JobId job, List<String> fields) throws Exception {
        byte[][] names = new byte[fields.size()][];
        for (int i = 0; i < names.length; i++) {
            names[i] = bytes(fields.get(i));
        }
        List<byte[]> out = new ArrayList<>(names.length);
        for (io.lettuce.core.KeyValue<byte[], byte[]> kv : await(redis.hmget(bytes(keys.data(job)), names))) {
            out.add(kv.hasValue() ? kv.getValue() : null);
        }
        return out;
    }

    /**
     * One chunk of a group's expansion ({@code map.lua}): items {@code from..from+k-1} of {@code n},
     * with the list's item values when the group reads the list itself ({@code values}, k of them),
     * else {@code count} items. Status: the next index, {@code done}, {@code stop} or {@code skip:<next>}.
     */
    public OutboxEntry.Reply mapChunk(ShardLease lease, JobId job, String group, long from, long n, Duration patience,
                                      List<byte[]> values, int count) throws Exception {
        int shard = lease.shard();
        List<byte[]> args = new ArrayList<>();
        args.add(bytes(lease.owner()));
        args.add(bytes(Long.toString(lease.token())));
        args.add(bytes(job.value()));
        args.add(bytes(Integer.toString(shard)));
        args.add(bytes(group));
        args.add(bytes(Long.toString(from)));
        args.add(bytes(Long.toString(n)));
        args.add(bytes(Long.toString(patience.toMillis())));
        if (values == null) {
            args.add(bytes(Integer.toString(count)));
        } else {
            args.addAll(values);
        }
        return dispatching(Script.MAP, Scripts.keys(keys.shardOwner(shard), keys.job(job), keys.outbox(shard)),
                args.toArray(new byte[0][]));
    }

    /**
     * A lease that ran out ({@code expire.lua}; member {@code <job>|<node>}): status {@code redispatched},
     * {@code ended}, {@code timedout}, {@code alive} or {@code stale}.
     */
    public OutboxEntry.Reply expire(ShardLease lease, JobId job, String node, int maxLostLeases) throws Exception {
        int shard = lease.shard();
        return dispatching(Script.EXPIRE, Scripts.keys(keys.shardOwner(shard), keys.task(job, node), keys.job(job), keys.leases(shard),
                        keys.events(shard), keys.outbox(shard)), bytes(lease.owner()), bytes(Long.toString(lease.token())), bytes(Keys.member(job, node)), bytes(job.value()), bytes(Integer.toString(shard)), bytes(node),
                bytes(Integer.toString(maxLostLeases)));
    }

    /**
     * Publishes a READY task's message again when it waited unclaimed since before {@code cutoffMs}
     * ({@code requeue.lua}): status {@code requeued}, {@code fresh} or {@code stale}.
     */
    public OutboxEntry.Reply requeue(ShardLease lease, String pool, JobId job, String node, long cutoffMs) throws Exception {
        int shard = lease.shard();
        return dispatching(Script.REQUEUE, Scripts.keys(keys.shardOwner(shard), keys.task(job, node), keys.queued(shard, pool), keys.outbox(shard),
                        keys.job(job)), bytes(lease.owner()), bytes(Long.toString(lease.token())), bytes(Keys.member(job, node)), bytes(job.value()), bytes(Integer.toString(shard)), bytes(node), bytes(Long.toString(cutoffMs)));
    }

    /**
     * Takes a shard's lease for {@code owner} for {@code ttl} ({@code lease.lua}): free, lapsed, or
     * held under the same id (a restart); empty while another overseer holds it. Every taking gets a
     * greater token than any before it.
     */
    public Optional<ShardLease> takeLease(int shard, String owner, Duration ttl) throws Exception {
        Long token = await(scripts.<Long>run(Script.LEASE, ScriptOutputType.INTEGER, Scripts.keys(keys.shardOwner(shard)),
                bytes("take"), bytes(owner), bytes(Long.toString(ttl.toMillis()))));
        return token == null || token == 0 ? Optional.empty() : Optional.of(new ShardLease(shard, owner, token));
    }

    /** Extends a lease for {@code ttl}; false when the shard was taken since (the lease is lost). */
    public boolean renewLease(ShardLease lease, Duration ttl) throws Exception {
        Long r = await(scripts.<Long>run(Script.LEASE, ScriptOutputType.INTEGER, Scripts.keys(keys.shardOwner(lease.shard())),
                bytes("renew"), bytes(lease.owner()), bytes(Long.toString(ttl.toMillis())), bytes(Long.toString(lease.token()))));
        return r != null && r == lease.token();
    }

    /** Gives a lease up at once, so another overseer may take the shard without waiting for it to lapse; false when it was no longer held. */
    public boolean giveLease(ShardLease lease) throws Exception {
        Long r = await(scripts.<Long>run(Script.LEASE, ScriptOutputType.INTEGER, Scripts.keys(keys.shardOwner(lease.shard())),
                bytes("give"), bytes(lease.owner()), bytes(Long.toString(lease.token()))));
        return r != null && r == 1L;
    }

    /**
     * Sets ({@code max} a number) or removes ({@code max} empty) a concurrency limit of a
     * {@code processor} or {@code pipeline}, dispatching what it lets through. The limit itself
     * lives in the {@code {limits}} slot (limits.lua); each shard's copy ({@link Keys#limited}) tells
     * its scripts to ask for a slot. A new limit is written before the copies, a removed one after,
     * so no task asks for a slot of a limit that is not there yet; tasks dispatched while the copies
     * change may run beside the limit, as tasks running when it was set do.
     */
    public OutboxEntry.Reply limit(String kind, String name, String max) throws Exception {
        byte[] field = bytes(kind + ":" + name);
        if (max.isEmpty()) {
            copyLimit(field, null);
        }
        List<Object> granted = await(scripts.<List<Object>>run(Script.LIMITS, ScriptOutputType.MULTI, Scripts.keys(keys.limits()),
                bytes("set"), bytes(kind), bytes(name), bytes(max)));
        if (!max.isEmpty()) {
            copyLimit(field, bytes(max));
        }
        return settle(new OutboxEntry.Reply("ok", OutboxEntry.Ends.NONE, List.of(), List.of()), granted(granted));
    }

    private void copyLimit(byte[] field, byte[] max) throws Exception {
        List<CompletionStage<?>> writes = new ArrayList<>(keys.shards());
        for (int shard = 0; shard < keys.shards(); shard++) {
            byte[] key = bytes(keys.limited(shard));
            writes.add(max == null ? redis.hdel(key, field) : redis.hset(key, field, max));
        }
        for (CompletionStage<?> w : writes) {
            await(w);
        }
    }

    /**
     * Carries out the slot requests of a reply (see lib.lua's SLOTS): takes and gives back slots in
     * the {@code {limits}} slot, hands the slots taken to the tasks and jobs of their shards
     * ({@code grant.lua}, any shard: like a submission, a grant needs no lease), and goes on with
     * what those grants ask in turn. Returns the reply with every entry dispatched on the way and
     * nothing left to ask. A caller that dies half-way leaves waits the sweep asks for again
     * ({@link #askAgain}) and slots it gives back ({@link #checkSlots}).
     */
    public OutboxEntry.Reply settle(OutboxEntry.Reply reply) throws Exception {
        if (reply.slots().isEmpty()) {
            return reply;
        }
        return settle(new OutboxEntry.Reply(reply.status(), reply.ends(), List.of(), reply.dispatched()), takeOrGive(reply.slots()));
    }

    private OutboxEntry.Reply settle(OutboxEntry.Reply reply, List<SlotRequest> granted) throws Exception {
        List<OutboxEntry> dispatched = new ArrayList<>(reply.dispatched());
        OutboxEntry.Ends ends = reply.ends();
        for (int round = 0; !granted.isEmpty(); round++) {
            if (round == SETTLE_ROUNDS) {
                LOG.warn("{} concurrency slots still to hand over after {} rounds; the sweep will ask for them again", granted.size(), round);
                break;
            }
            List<SlotRequest> asked = new ArrayList<>();
            for (Map.Entry<Integer, List<SlotRequest>> e : byShard(granted).entrySet()) {
                OutboxEntry.Reply g = grant(e.getKey(), e.getValue());
                dispatched.addAll(g.dispatched());
                ends = ends.plus(g.ends());
                asked.addAll(g.slots());
                String[] statuses = g.status().split(",", -1);
                for (int i = 0; i < e.getValue().size(); i++) {
                    if (i >= statuses.length || statuses[i].equals("unused")) {
                        SlotRequest s = e.getValue().get(i);
                        asked.add(SlotRequest.giveBack(s.kind(), s.name(), s.member()));
                    }
                }
            }
            granted = asked.isEmpty() ? List.of() : takeOrGive(asked);
        }
        return new OutboxEntry.Reply(reply.status(), ends, List.of(), dispatched);
    }

    /** Takes and gives back slots in {@code {limits}}; returns the slots granted (kind, name and member). */
    private List<SlotRequest> takeOrGive(List<SlotRequest> requests) throws Exception {
        List<byte[]> args = new ArrayList<>(1 + 5 * requests.size());
        args.add(bytes("slots"));
        for (SlotRequest r : requests) {
            args.add(bytes(r.take() ? "a" : "r"));
            args.add(bytes(r.kind()));
            args.add(bytes(r.name()));
            args.add(bytes(r.member()));
            args.add(bytes(r.score()));
        }
        return granted(await(scripts.<List<Object>>run(Script.LIMITS, ScriptOutputType.MULTI, Scripts.keys(keys.limits()),
                args.toArray(new byte[0][]))));
    }

    private static List<SlotRequest> granted(List<Object> raw) {
        List<SlotRequest> out = new ArrayList<>(raw.size() / 3);
        for (int i = 0; i + 2 < raw.size(); i += 3) {
            out.add(new SlotRequest(true, Scripts.text(raw.get(i)), Scripts.text(raw.get(i + 1)), Scripts.text(raw.get(i + 2)), ""));
        }
        return out;
    }

    private static Map<Integer, List<SlotRequest>> byShard(List<SlotRequest> slots) {
        Map<Integer, List<SlotRequest>> out = new LinkedHashMap<>();
        for (SlotRequest s : slots) {
            out.computeIfAbsent(s.shard(), k -> new ArrayList<>()).add(s);
        }
        return out;
    }

    /** Hands slots to what waits for them in one shard ({@code grant.lua}): one status per slot, {@code ok}, {@code had} or {@code unused}. */
    private OutboxEntry.Reply grant(int shard, List<SlotRequest> slots) throws Exception {
        return OutboxEntry.Reply.of(await(scripts.<List<Object>>run(Script.GRANT, ScriptOutputType.MULTI, Scripts.keys(keys.outbox(shard)),
                slotArgs("grant", slots))));
    }

    private static byte[][] slotArgs(String op, List<SlotRequest> slots) {
        byte[][] args = new byte[1 + 2 * slots.size()][];
        args[0] = bytes(op);
        int i = 1;
        for (SlotRequest s : slots) {
            args[i++] = bytes(s.kind());
            args[i++] = bytes(s.member());
        }
        return args;
    }

    /**
     * Asks again for at most {@code max} of a shard's waits for a slot that began before
     * {@code cutoffMs} (Redis's clock) and still wait, and settles the answers: repairs a caller that
     * died between asking and granting. A wait asked again moves to the back of this scan.
     */
    public OutboxEntry.Reply askAgain(int shard, long cutoffMs, int max) throws Exception {
        return settle(OutboxEntry.Reply.of(await(scripts.<List<Object>>run(Script.GRANT, ScriptOutputType.MULTI, Scripts.keys(keys.outbox(shard)),
                bytes("ask"), bytes(Long.toString(cutoffMs)), bytes(Integer.toString(max))))));
    }

    /**
     * Gives back the slots of {@code slots} (all of one shard) whose holders neither hold nor wait any
     * more (they ended while their caller died before giving the slot back), and settles what that
     * frees. Returns the reply; its status is how many were given back.
     */
    public OutboxEntry.Reply checkSlots(int shard, List<SlotRequest> slots) throws Exception {
        OutboxEntry.Reply checked = OutboxEntry.Reply.of(await(scripts.<List<Object>>run(Script.GRANT, ScriptOutputType.MULTI,
                Scripts.keys(keys.outbox(shard)), slotArgs("check", slots))));
        String[] statuses = checked.status().split(",", -1);
        List<SlotRequest> gone = new ArrayList<>();
        for (int i = 0; i < slots.size() && i < statuses.length; i++) {
            if (statuses[i].equals("gone")) {
                gone.add(SlotRequest.giveBack(slots.get(i).kind(), slots.get(i).name(), slots.get(i).member()));
            }
        }
        if (gone.isEmpty()) {
            return new OutboxEntry.Reply("0", OutboxEntry.Ends.NONE, List.of(), List.of());
        }
        return settle(new OutboxEntry.Reply(Integer.toString(gone.size()), OutboxEntry.Ends.NONE, List.of(), List.of()), takeOrGive(gone));
    }

    /** What a dead-lettered task message did to its task. */
    public enum Poisoned {
        /** The message was the task's current dispatch: the task failed with the reason. */
        FAILED,
        /** The task had moved on (claimed again, ended, gone): nothing changed. */
        STALE
    }

    /** Fails the task of a dead-lettered message if that message is still its current dispatch ({@code poison.lua}). */
    public Poisoned poison(JobId job, String node, long dispatch, String reason) throws Exception {
        Object r = await(scripts.run(Script.POISON, ScriptOutputType.STATUS,
                Scripts.keys(keys.task(job, node), keys.job(job), keys.events(job.shard(keys.shards()))),
                bytes(Long.toString(dispatch)), bytes(reason), bytes(job.value()), bytes(node)));
        return "failed".equals(Scripts.text(r)) ? Poisoned.FAILED : Poisoned.STALE;
    }

    /** Extends an attempt's lease ({@code renew.lua}); false when the attempt must stop (lost its task, or its job is stopping). */
    public CompletableFuture<Boolean> renew(int shard, JobId job, String node, String attemptId, Duration lease) {
        return scripts.<Long>run(Script.RENEW, ScriptOutputType.INTEGER, Scripts.keys(keys.task(job, node), keys.leases(shard), keys.job(job)),
                bytes(attemptId), bytes(Keys.member(job, node)), bytes(Long.toString(lease.toMillis())))
                .toCompletableFuture().thenApply(r -> r != null && r == 1L);
    }

    /**
     * What one call of {@code purge.lua} did: {@code status} {@code removed} (the job hash is gone
     * and its removal under way), {@code step}, {@code gone} (nothing of it is left to remove),
     * {@code active} (not ended; {@code detail} its status) or {@code notdue} ({@code detail} its
     * expiry, ms); {@code keys} the key names it removed, {@code done} whether nothing is left.
     */
    public record Purged(String status, long keys, boolean done, String detail) {
    }

    /**
     * Removes an ended job ({@code purge.lua}): the job hash and index entries, then at most
     * {@code batch} of its keys; {@code expired} only once its expiry has come.
     */
    public Purged purgeJob(JobId job, boolean expired, int batch) throws Exception {
        return purged(await(scripts.<List<Object>>run(Script.PURGE, ScriptOutputType.MULTI, Scripts.keys(keys.job(job)),
                bytes("remove"), bytes(job.value()), bytes(Integer.toString(batch)), bytes(expired ? "expired" : "deleted"))));
    }

    /** Removes at most {@code batch} more keys of a job whose removal is under way ({@code purge.lua}). */
    public Purged purgeStep(JobId job, int batch) throws Exception {
        return purged(await(scripts.<List<Object>>run(Script.PURGE, ScriptOutputType.MULTI, Scripts.keys(keys.job(job)),
                bytes("step"), bytes(job.value()), bytes(Integer.toString(batch)))));
    }

    private static Purged purged(List<Object> r) {
        String status = Scripts.text(r.get(0));
        if (r.size() == 2) {
            return new Purged(status, 0, false, r.get(1) instanceof Long n ? Long.toString(n) : Scripts.text(r.get(1)));
        }
        return new Purged(status, (Long) r.get(1), (Long) r.get(2) == 1L, null);
    }

    private OutboxEntry.Reply dispatching(Script script, byte[][] keyBytes, byte[]... args) throws Exception {
        return settle(OutboxEntry.Reply.of(await(scripts.<List<Object>>run(script, ScriptOutputType.MULTI, keyBytes, args))));
    }

    private static byte[] flag(boolean on) {
        return bytes(on ? "1" : "0");
    }

    /**
     * Waits for a call within the configured timeout; a Redis error is thrown as it is, except the
     * refusal of a fenced call, thrown as {@link ShardLease.Lost}.
     */
    public <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() != null && e.getCause().getMessage() != null && e.getCause().getMessage().startsWith("FENCED ")) {
                throw new ShardLease.Lost(e.getCause().getMessage().substring("FENCED ".length()));
            }
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new IOException("Redis did not answer within " + timeout.toSeconds() + "s", e);
        }
    }
}
