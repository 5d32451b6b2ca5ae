package dev.pipewright.worker.runtime;

import dev.pipewright.infra.log.LogSafe;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.worker.store.AttemptStore;
import dev.pipewright.worker.store.Claim;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Decides what starts when: received deliveries wait in a buffer, and whenever slots are free the
 * best of them (highest priority, then oldest) are claimed together, one claim call per shard, then
 * acknowledged (with {@code multiple}) and handed to the {@link AttemptRunner}. While a claim call is
 * under way freed slots accumulate, so the next call takes them all: batches grow with the load and
 * a lone message waits for nothing but its own call.
 *
 * <p>A delivery whose task runs a quick processor (its message says which, in a header; see
 * {@link dev.pipewright.protocol.message.TaskMessage#PROCESSOR_HEADER}) takes no slot: it runs on this
 * thread right after its claim, for microseconds, so a slot would only cap how many such tasks one
 * claim call can take. Up to {@link #QUICK_BATCH} of them join each claim besides the slotted ones.
 */
final class AttemptScheduler implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(AttemptScheduler.class);
    /** Tries of a failed claim, a second apart, before its messages go back to the queue. */
    static final int CLAIM_PATIENCE = 15;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Comparator<Delivery> ORDER = Comparator
            .comparing((Delivery d) -> d.pool.priority).reversed()
            .thenComparingLong(d -> d.seq);

    /** The claim script: one shard's batch in one call. */
    interface Claims {
        CompletableFuture<List<Claim>> claim(int shard, String workerId, Duration lease, List<AttemptStore.ClaimRequest> requests);
    }

    /** Where claimed attempts go (the {@link AttemptRunner}). */
    interface Runner {
        /** Starts the attempt; {@code done} frees what the delivery holds once the processor has run (or will not). */
        void start(PoolChannel pc, TaskMessage message, String attemptId, Claim.Claimed claimed, Runnable done);

        void failMissing(String pool, TaskMessage message, String attemptId, Claim.MissingInput missing, Runnable done);
    }

    /** What the scheduler asks of the rest of the worker. */
    interface Hooks {
        /** Counts and, past the limit, dead-letters a redelivered message (classic queues); true when it took care of it. */
        boolean overDeliveryLimit(Delivery d) throws InterruptedException;

        /** A new attempt id (a fencing token). */
        String attemptId();

        void duplicate(String pool);

        void unreadable(String pool);

        /** Commits waiting or under way, so claiming stops while the store falls behind. */
        int commitBacklog();

        /** Whether this worker runs the processor quickly, on the scheduler's thread (false when unknown). */
        default boolean quick(String processor) {
            return false;
        }
    }

    /** Quick deliveries one claim call takes at most, besides those that take a slot. */
    static final int QUICK_BATCH = 256;

    private final Claims store;
    private final Runner runner;
    private final Hooks hooks;
    private final String workerId;
    private final Duration lease;
    private final int concurrency;
    private final int maxBacklog;
    private final Duration callTimeout;
    private final PriorityQueue<Delivery> waiting = new PriorityQueue<>(ORDER);
    private final Object lock = new Object();
    private int free;
    /** Quick deliveries waiting, and quick ones taken and not yet run (they hold no slot). */
    private int quickWaiting;
    private int quickHeld;
    private long seq;
    private volatile boolean stopping;

    AttemptScheduler(Claims store, Runner runner, Hooks hooks, String workerId, Duration lease, int concurrency,
                     Duration callTimeout) {
        this.store = store;
        this.runner = runner;
        this.hooks = hooks;
        this.workerId = workerId;
        this.lease = lease;
        this.concurrency = concurrency;
        this.free = concurrency;
        this.maxBacklog = Math.max(64, 4 * concurrency);
        this.callTimeout = callTimeout;
    }

    /** A delivery arrived: it waits for a slot. */
    void submit(Delivery d) {
        if (stopping) {
            d.handBack();
            return;
        }
        d.quick = d.processor != null && hooks.quick(d.processor);
        synchronized (lock) {
            d.seq = ++seq;
            waiting.add(d);
            if (d.quick) {
                quickWaiting++;
            }
            lock.notifyAll();
        }
    }

    /** The delivery's attempt ran (or never will): its slot, if it took one, is free again. */
    void release(Delivery d) {
        synchronized (lock) {
            if (d.slotted) {
                d.slotted = false;
                free++;
                lock.notifyAll();
            } else if (d.held) {
                d.held = false;
                quickHeld--;
            }
        }
    }

    /** Deliveries being claimed and attempts whose processor runs. */
    int busy() {
        synchronized (lock) {
            return concurrency - free + quickHeld;
        }
    }

    /** Stops starting attempts and hands back every delivery still waiting. */
    void stop() {
        stopping = true;
        List<Delivery> left;
        synchronized (lock) {
            left = new ArrayList<>(waiting);
            waiting.clear();
            quickWaiting = 0;
            lock.notifyAll();
        }
        left.forEach(Delivery::handBack); // received, never started: back to its queue
    }

    @Override
    public void run() {
        while (!stopping) {
            List<Delivery> batch;
            synchronized (lock) {
                while (!stopping && (!startable() || hooks.commitBacklog() >= maxBacklog)) {
                    try {
                        lock.wait(!startable() ? 200 : 1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (stopping) {
                    return;
                }
                batch = take();
            }
            try {
                start(batch);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("unexpected error starting {} deliveries", batch.size(), e);
            }
        }
    }

    /** Whether something waiting can start: a free slot, or a quick delivery. */
    private boolean startable() {
        return !waiting.isEmpty() && (free > 0 || quickWaiting > 0);
    }

    /**
     * Takes the best waiting deliveries: one per free slot (each taking its slot) and quick ones
     * without a slot, up to {@link #QUICK_BATCH}; a slow one that finds no slot keeps its place.
     */
    List<Delivery> take() {
        synchronized (lock) {
            List<Delivery> batch = new ArrayList<>();
            List<Delivery> kept = new ArrayList<>();
            int quick = 0;
            while (!waiting.isEmpty() && (free > 0 || (quickWaiting > 0 && quick < QUICK_BATCH))) {
                Delivery d = waiting.poll();
                if (d.quick && quick < QUICK_BATCH) {
                    quickWaiting--;
                    quick++;
                    quickHeld++;
                    d.held = true;
                    batch.add(d);
                } else if (free > 0) {
                    if (d.quick) {
                        quickWaiting--;
                    }
                    free--;
                    d.slotted = true;
                    batch.add(d);
                } else {
                    kept.add(d);
                }
            }
            waiting.addAll(kept);
            return batch;
        }
    }

    /** Claims the batch, acks it and starts what was claimed; every delivery's slot is accounted for. */
    void start(List<Delivery> batch) throws InterruptedException {
        Map<Integer, List<Delivery>> byShard = new LinkedHashMap<>();
        for (Delivery d : batch) {
            if (stopping || d.pool.paused) {
                // received before the pause (or the shutdown) took effect and not started: back to the queue
                d.handBack();
                release(d);
                continue;
            }
            if (d.redelivered && hooks.overDeliveryLimit(d)) {
                release(d);
                continue;
            }
            TaskMessage message = parse(d);
            if (message == null) {
                release(d);
                continue;
            }
            d.message = message;
            byShard.computeIfAbsent(message.shard(), s -> new ArrayList<>()).add(d);
        }
        if (byShard.isEmpty()) {
            return;
        }
        Map<Integer, List<String>> attemptIds = new LinkedHashMap<>();
        Map<Integer, List<AttemptStore.ClaimRequest>> requestsByShard = new LinkedHashMap<>();
        Map<Integer, CompletableFuture<List<Claim>>> calls = new LinkedHashMap<>();
        byShard.forEach((shard, ds) -> {
            List<AttemptStore.ClaimRequest> requests = new ArrayList<>(ds.size());
            List<String> ids = new ArrayList<>(ds.size());
            for (Delivery d : ds) {
                String id = hooks.attemptId();
                ids.add(id);
                requests.add(new AttemptStore.ClaimRequest(d.message, id));
            }
            attemptIds.put(shard, ids);
            requestsByShard.put(shard, requests);
            try {
                calls.put(shard, store.claim(shard, workerId, lease, requests));
            } catch (RuntimeException e) {
                calls.put(shard, CompletableFuture.failedFuture(e));
            }
        });
        List<Runnable> starts = new ArrayList<>();
        Set<PoolChannel> touched = new LinkedHashSet<>();
        boolean failed = false;
        for (Map.Entry<Integer, CompletableFuture<List<Claim>>> call : calls.entrySet()) {
            List<Delivery> ds = byShard.get(call.getKey());
            List<Claim> claims;
            try {
                claims = call.getValue().get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    throw (InterruptedException) e;
                }
                claims = claimAgain(call.getKey(), requestsByShard.get(call.getKey()), e);
            }
            if (claims == null) {
                LOG.warn("cannot claim {} messages; handing them back", ds.size());
                failed = true;
                for (Delivery d : ds) {
                    d.handBack();
                    release(d);
                }
                continue;
            }
            List<String> ids = attemptIds.get(call.getKey());
            for (int i = 0; i < ds.size(); i++) {
                Delivery d = ds.get(i);
                d.ack(); // the claim answered: the lease (or the task's state) stands for the message now
                touched.add(d.pool);
                Claim claim = claims.get(i);
                String id = ids.get(i);
                starts.add(() -> begin(d, id, claim));
            }
        }
        touched.forEach(pc -> pc.acks.flush());
        starts.forEach(Runnable::run);
        if (failed) {
            Thread.sleep(1000);
        }
    }

    /**
     * Tries a failed claim again, once a second for up to {@link #CLAIM_PATIENCE} tries, holding the
     * messages meanwhile: Redis failing over (a Redis Cluster master replaced, a replica promoted)
     * answers again within seconds, and a message handed back at once would come back at once and
     * count toward the queue's delivery limit each time, which dead-letters (fails) its task. Returns
     * null when Redis still does not answer, or the worker is stopping: the messages go back then.
     */
    private List<Claim> claimAgain(int shard, List<AttemptStore.ClaimRequest> requests, Exception first) throws InterruptedException {
        LOG.warn("cannot claim {} messages of shard {} ({}); trying again for up to {} s", requests.size(), shard, first.toString(),
                CLAIM_PATIENCE);
        for (int i = 0; i < CLAIM_PATIENCE && !stopping; i++) {
            Thread.sleep(1000);
            try {
                return store.claim(shard, workerId, lease, requests).get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                LOG.debug("claim of shard {} failed again ({})", shard, e.toString());
            }
        }
        return null;
    }

    private void begin(Delivery d, String attemptId, Claim claim) {
        String pool = d.pool.pool;
        switch (claim) {
            case Claim.Stale stale -> {
                hooks.duplicate(pool);
                LOG.debug("dropped stale message for {}/{} (task is {})", d.message.job(), d.message.node(), stale.state());
                release(d);
            }
            case Claim.MissingInput missing -> runner.failMissing(pool, d.message, attemptId, missing, () -> release(d));
            case Claim.Claimed claimed -> runner.start(d.pool, d.message, attemptId, claimed, () -> release(d));
        }
    }

    /** The delivery's task message; an unreadable one is rejected to the dead-letter queue (null). */
    private TaskMessage parse(Delivery d) {
        try {
            BusMessage parsed = JSON.readValue(d.body, BusMessage.class);
            if (!(parsed instanceof TaskMessage tm) || tm.job() == null || tm.node() == null || !JobId.isValid(tm.job())) {
                throw new IOException("not a task message");
            }
            return tm;
        } catch (IOException e) {
            LOG.warn("dead-lettering an unreadable message on pool {}: {}", d.pool.pool, LogSafe.text(e.getMessage()));
            hooks.unreadable(d.pool.pool);
            d.reject();
            return null;
        }
    }
}
