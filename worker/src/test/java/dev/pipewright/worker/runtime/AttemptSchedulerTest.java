package dev.pipewright.worker.runtime;

import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.worker.store.AttemptStore;
import dev.pipewright.worker.store.Claim;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the scheduler claims, acks and starts, with a fake channel, store and runner. */
class AttemptSchedulerTest {
    private static final String JOB = "mxc4pxrt3ghwyzwbcvqt";

    private final FakeChannel fake = new FakeChannel();
    private final PoolChannel medium = new PoolChannel("default", Priority.MEDIUM, fake.channel, "q", "t", d -> { });
    private final PoolChannel high = new PoolChannel("default", Priority.HIGH, fake.channel, "q:high", "t", d -> { });
    private final List<String> claimed = Collections.synchronizedList(new ArrayList<>());
    private final List<String> started = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger ids = new AtomicInteger();
    private AttemptScheduler scheduler;

    private Delivery delivery(PoolChannel pc, long tag, int shard, String node) {
        return delivery(pc, tag, shard, node, null);
    }

    private Delivery delivery(PoolChannel pc, long tag, int shard, String node, String processor) {
        pc.acks.delivered(tag);
        String body = "{\"type\":\"task\",\"v\":1,\"job\":\"" + JOB + "\",\"shard\":" + shard + ",\"node\":\"" + node + "\",\"dispatch\":1}";
        return new Delivery(pc, tag, false, body.getBytes(), processor);
    }

    private AttemptScheduler scheduler(int slots, AttemptScheduler.Claims claims) {
        scheduler = new AttemptScheduler(claims, new AttemptScheduler.Runner() {
            @Override
            public void start(PoolChannel pc, TaskMessage message, String attemptId, Claim.Claimed c, Runnable done) {
                started.add(message.node());
                if (message.node().startsWith("q")) {
                    done.run(); // a quick processor returns at once
                }
            }

            @Override
            public void failMissing(String pool, TaskMessage message, String attemptId, Claim.MissingInput missing, Runnable done) {
                started.add("missing:" + message.node());
                done.run();
            }
        }, new AttemptScheduler.Hooks() {
            @Override
            public boolean overDeliveryLimit(Delivery d) {
                return false;
            }

            @Override
            public String attemptId() {
                return "a" + ids.incrementAndGet();
            }

            @Override
            public void duplicate(String pool) {
                started.add("duplicate");
            }

            @Override
            public void unreadable(String pool) {
                started.add("unreadable");
            }

            @Override
            public int commitBacklog() {
                return 0;
            }

            @Override
            public boolean quick(String processor) {
                return processor.equals("noop");
            }
        }, "w1", Duration.ofSeconds(10), slots, Duration.ofSeconds(5));
        return scheduler;
    }

    private static Claim.Claimed claimedTask() {
        return new Claim.Claimed(new TaskSpec("noop", Map.of(), List.of(), List.of("x"), 0), Map.of(), 1, Duration.ofSeconds(10),
                Duration.ZERO, Map.of(), null);
    }

    /** Claims every request as the node's name says: stale*, missing*, else claimed. */
    private CompletableFuture<List<Claim>> answer(int shard, List<AttemptStore.ClaimRequest> requests) {
        List<Claim> out = new ArrayList<>();
        for (AttemptStore.ClaimRequest r : requests) {
            claimed.add(shard + ":" + r.message().node() + "/" + r.attemptId());
            String node = r.message().node();
            out.add(node.startsWith("stale") ? new Claim.Stale("RUNNING")
                    : node.startsWith("missing") ? new Claim.MissingInput("x", "noop") : claimedTask());
        }
        return CompletableFuture.completedFuture(out);
    }

    @Test
    void deliveriesAreClaimedInOneCallPerShardAckedWithMultipleAndStartedHighestPriorityFirst() throws Exception {
        AttemptScheduler s = scheduler(8, (shard, worker, lease, requests) -> answer(shard, requests));
        List<Delivery> batch = new ArrayList<>(List.of(delivery(medium, 1, 0, "m1"), delivery(medium, 2, 1, "m2"),
                delivery(medium, 3, 0, "stale3"), delivery(high, 4, 0, "h4"), delivery(medium, 5, 0, "missing5")));
        batch.forEach(s::submit);
        s.start(s.take());
        assertEquals(List.of("0:h4/a1", "0:m1/a2", "0:stale3/a3", "0:missing5/a4", "1:m2/a5"), claimed,
                "high first, then the oldest; one call per shard");
        assertTrue(fake.calls.contains("ack 5 multiple"), "medium's five acked with one multiple ack: " + fake.calls);
        assertEquals(List.of("h4", "m1", "duplicate", "missing:missing5", "m2"), started);
        assertEquals(3, s.busy(), "the slots of h4, m1 and m2 stay taken until their processors return");
    }

    @Test
    void quickDeliveriesTakeNoSlotSoOneClaimTakesThemAllWhileSlowOnesWaitForSlots() throws Exception {
        AttemptScheduler s = scheduler(2, (shard, worker, lease, requests) -> answer(shard, requests));
        s.submit(delivery(medium, 1, 0, "slow1", "exec"));
        s.submit(delivery(medium, 2, 0, "slow2", null)); // no header: a slow task
        s.submit(delivery(medium, 3, 0, "slow3", "exec"));
        for (int i = 4; i < 10; i++) {
            s.submit(delivery(medium, i, 0, "q" + i, "noop"));
        }
        List<Delivery> first = s.take();
        assertEquals(8, first.size(), "two slots for the oldest slow ones, no slot needed for the six quick ones");
        s.start(first);
        assertEquals(List.of("slow1", "slow2", "q4", "q5", "q6", "q7", "q8", "q9"), started);
        assertEquals(2, s.busy(), "the quick ones ran and hold nothing; the slow ones hold their slots");
        assertEquals(List.of(), s.take(), "slow3 waits for a slot");
        s.submit(delivery(medium, 10, 0, "q10", "noop"));
        List<Delivery> second = s.take();
        assertEquals(1, second.size(), "a quick one still passes the waiting slow one");
        s.start(second);
        assertEquals("q10", started.get(started.size() - 1));
        assertTrue(fake.calls.contains("ack 10"), fake.calls.toString());
        assertTrue(fake.calls.stream().noneMatch(c -> c.startsWith("ack 3") || c.matches("ack (\\d+) multiple") && Integer.parseInt(c.split(" ")[1]) > 3),
                "slow3 is not acked before its claim: " + fake.calls);
    }

    @Test
    void aFailedClaimHandsTheDeliveriesBackAndFreesTheirSlots() throws Exception {
        AttemptScheduler s = scheduler(4, (shard, worker, lease, requests) -> CompletableFuture.failedFuture(new java.io.IOException("down")));
        s.submit(delivery(medium, 1, 0, "a"));
        s.submit(delivery(medium, 2, 0, "b"));
        s.start(s.take());
        assertEquals(List.of("nack 1", "nack 2"), fake.calls);
        assertEquals(0, s.busy());
        assertEquals(List.of(), started);
    }

    @Test
    void anUnreadableMessageIsRejectedToTheDeadLetterQueue() throws Exception {
        AttemptScheduler s = scheduler(4, (shard, worker, lease, requests) -> answer(shard, requests));
        medium.acks.delivered(9);
        s.submit(new Delivery(medium, 9, false, "not json".getBytes()));
        s.start(s.take());
        assertEquals(List.of("reject 9"), fake.calls);
        assertEquals(List.of("unreadable"), started);
        assertEquals(0, s.busy());
    }
}
