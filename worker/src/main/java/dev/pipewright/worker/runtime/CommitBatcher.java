package dev.pipewright.worker.runtime;

import dev.pipewright.infra.state.CommitReply;
import dev.pipewright.infra.state.StateGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Group commit: the commits that arrive while one call is under way go together in the next, one
 * call per shard, so a worker makes one commit call per batch of ended attempts and no caller waits
 * longer than one call for a free slot. A call that fails (Redis unreachable) is tried again with a
 * growing back-off until an attempt's lease would have run out; then the sweeper decides
 * ("uncommitted").
 *
 * <p>When nothing is queued or under way, a commit is sent at once from the caller's thread instead
 * of waking the batching thread: a lone task (each hop of a chain) saves a thread hand-off. What
 * arrives while that call is under way queues for the batching thread's next call, and a failed call's
 * commit goes back to the queue, where the batching thread retries it.
 */
final class CommitBatcher implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CommitBatcher.class);
    /** Commits in one call at most. */
    static final int MAX_BATCH = 256;

    /** What the batcher calls: the commit script, one shard's batch per call. */
    interface Store {
        CompletableFuture<List<CommitReply>> commit(int shard, List<StateGateway.Commit> commits);
    }

    private record Item(int shard, StateGateway.Commit commit, long deadlineNanos, CompletableFuture<String> reply) {
    }

    private final Store store;
    private final Duration patience;
    private final Duration callTimeout;
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private int inCall;
    private volatile boolean stopped;

    /** @param patience how long a commit is retried through failures (the lease) */
    CommitBatcher(Store store, Duration patience, Duration callTimeout) {
        this.store = store;
        this.patience = patience;
        this.callTimeout = callTimeout;
    }

    /** Queues a commit; the future completes with the script's reply word, or {@code uncommitted}. */
    CompletableFuture<String> submit(int shard, StateGateway.Commit commit) {
        Item item = new Item(shard, commit, System.nanoTime() + patience.toNanos(), new CompletableFuture<>());
        boolean direct;
        synchronized (queue) {
            direct = inCall == 0 && queue.isEmpty() && !stopped;
            if (direct) {
                inCall++;
            } else {
                queue.add(item);
                queue.notifyAll();
            }
        }
        if (direct) {
            sendAtOnce(item);
        }
        return item.reply();
    }

    private void sendAtOnce(Item item) {
        CompletableFuture<List<CommitReply>> call;
        try {
            call = store.commit(item.shard(), List.of(item.commit()));
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        call.orTimeout(callTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((replies, error) -> {
            synchronized (queue) {
                inCall--;
                if (error != null) {
                    queue.addFirst(item); // the batching thread retries it, with its back-off
                }
                queue.notifyAll();
            }
            if (error == null) {
                item.reply().complete(replies.get(0).wire());
            } else {
                LOG.warn("commit of {}/{} failed ({}); retrying", item.commit().job(), item.commit().node(), error.toString());
            }
        });
    }

    /** Commits queued or in a call. */
    int backlog() {
        synchronized (queue) {
            return queue.size() + inCall;
        }
    }

    void stop() {
        stopped = true;
        synchronized (queue) {
            queue.notifyAll();
        }
    }

    @Override
    public void run() {
        long backoff = 100;
        while (true) {
            List<Item> batch = new ArrayList<>();
            synchronized (queue) {
                // one call at a time: what arrives during a call (a caller's own included) goes in the next
                while ((queue.isEmpty() || inCall > 0) && !stopped) {
                    try {
                        queue.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) {
                    return; // stopped with nothing left
                }
                while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
                    batch.add(queue.poll());
                }
                inCall += batch.size();
            }
            List<Item> failed = call(batch);
            synchronized (queue) {
                inCall -= batch.size();
            }
            if (failed.isEmpty()) {
                backoff = 100;
                continue;
            }
            long now = System.nanoTime();
            List<Item> again = new ArrayList<>();
            for (Item i : failed) {
                if (now > i.deadlineNanos() || stopped && now > i.deadlineNanos()) {
                    LOG.error("giving up committing {}/{}", i.commit().job(), i.commit().node());
                    i.reply().complete("uncommitted");
                } else {
                    again.add(i);
                }
            }
            if (!again.isEmpty()) {
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException e) {
                    again.forEach(i -> i.reply().complete("uncommitted"));
                    return;
                }
                backoff = Math.min(backoff * 2, 2000);
                synchronized (queue) {
                    for (int k = again.size() - 1; k >= 0; k--) {
                        queue.addFirst(again.get(k));
                    }
                }
            }
        }
    }

    /** One call per shard, all under way at once; returns the items whose call failed. */
    private List<Item> call(List<Item> batch) {
        Map<Integer, List<Item>> byShard = new LinkedHashMap<>();
        for (Item i : batch) {
            byShard.computeIfAbsent(i.shard(), s -> new ArrayList<>()).add(i);
        }
        Map<List<Item>, CompletableFuture<List<CommitReply>>> calls = new LinkedHashMap<>();
        List<Item> failed = new ArrayList<>();
        byShard.forEach((shard, items) -> {
            try {
                calls.put(items, store.commit(shard, items.stream().map(Item::commit).toList()));
            } catch (RuntimeException e) {
                LOG.warn("commit of {} attempts failed ({}); retrying", items.size(), e.toString());
                failed.addAll(items);
            }
        });
        calls.forEach((items, call) -> {
            try {
                List<CommitReply> replies = call.get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
                for (int k = 0; k < items.size(); k++) {
                    items.get(k).reply().complete(replies.get(k).wire());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed.addAll(items);
            } catch (Exception e) {
                LOG.warn("commit of {} attempts failed ({}); retrying", items.size(), e.toString());
                failed.addAll(items);
            }
        });
        return failed;
    }
}
