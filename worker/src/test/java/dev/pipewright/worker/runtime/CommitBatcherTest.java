package dev.pipewright.worker.runtime;

import dev.pipewright.infra.state.CommitReply;
import dev.pipewright.infra.state.StateGateway;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Group commit against a fake store: batching by shard, replies in order, retries, giving up. */
class CommitBatcherTest {
    private static StateGateway.Commit ok(String node) {
        return new StateGateway.Commit("job", node, "a-" + node, StateGateway.Outcome.OK, "", true, Map.of());
    }

    @Test
    void commitsThatArriveDuringACallGoTogetherInTheNextOnePerShard() throws Exception {
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch firstCall = new CountDownLatch(1);
        CompletableFuture<List<CommitReply>> held = new CompletableFuture<>();
        CommitBatcher batcher = new CommitBatcher((shard, commits) -> {
            calls.add(shard + ":" + commits.stream().map(StateGateway.Commit::node).toList());
            if (calls.size() == 1) {
                firstCall.countDown();
                return held;
            }
            return CompletableFuture.completedFuture(commits.stream().<CommitReply>map(c -> new CommitReply.Ok()).toList());
        }, Duration.ofSeconds(10), Duration.ofSeconds(5));
        Thread t = Thread.ofPlatform().daemon().start(batcher);
        CompletableFuture<String> first = batcher.submit(0, ok("a"));
        assertTrue(firstCall.await(5, TimeUnit.SECONDS));
        List<CompletableFuture<String>> later = List.of(batcher.submit(1, ok("b")), batcher.submit(0, ok("c")), batcher.submit(1, ok("d")));
        assertEquals(4, batcher.backlog(), "one in the call, three waiting");
        held.complete(List.of(new CommitReply.Fenced()));
        assertEquals("fenced", first.get(5, TimeUnit.SECONDS));
        for (CompletableFuture<String> f : later) {
            assertEquals("ok", f.get(5, TimeUnit.SECONDS));
        }
        assertEquals(List.of("0:[a]", "1:[b, d]", "0:[c]"), calls);
        batcher.stop();
        t.join(2000);
    }

    @Test
    void aLoneCommitIsSentFromTheCallersThreadWithoutWakingTheBatcher() throws Exception {
        List<Thread> callers = Collections.synchronizedList(new ArrayList<>());
        CommitBatcher batcher = new CommitBatcher((shard, commits) -> {
            callers.add(Thread.currentThread());
            return CompletableFuture.completedFuture(commits.stream().<CommitReply>map(c -> new CommitReply.Ok()).toList());
        }, Duration.ofSeconds(10), Duration.ofSeconds(5));
        // no batching thread runs: the idle path needs none
        assertEquals("ok", batcher.submit(0, ok("a")).get(5, TimeUnit.SECONDS));
        assertEquals("ok", batcher.submit(2, ok("b")).get(5, TimeUnit.SECONDS));
        assertEquals(List.of(Thread.currentThread(), Thread.currentThread()), callers);
        assertEquals(0, batcher.backlog());
    }

    @Test
    void aFailedCallIsTriedAgainAndACommitPastItsPatienceIsUncommitted() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CommitBatcher retrying = new CommitBatcher((shard, commits) -> calls.incrementAndGet() < 3
                ? CompletableFuture.failedFuture(new java.io.IOException("Redis is down"))
                : CompletableFuture.completedFuture(List.of(new CommitReply.Retry())), Duration.ofSeconds(30), Duration.ofSeconds(5));
        Thread t = Thread.ofPlatform().daemon().start(retrying);
        assertEquals("retry", retrying.submit(0, ok("a")).get(10, TimeUnit.SECONDS));
        assertEquals(3, calls.get());
        retrying.stop();
        t.join(2000);

        CommitBatcher hopeless = new CommitBatcher((shard, commits) -> CompletableFuture.failedFuture(new java.io.IOException("down")),
                Duration.ofMillis(300), Duration.ofSeconds(5));
        Thread h = Thread.ofPlatform().daemon().start(hopeless);
        assertEquals("uncommitted", hopeless.submit(0, ok("b")).get(10, TimeUnit.SECONDS));
        hopeless.stop();
        h.join(2000);
    }
}
