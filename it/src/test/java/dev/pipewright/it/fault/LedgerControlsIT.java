package dev.pipewright.it.fault;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.TaskMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Negative controls of the ledger, beside {@link LostMessageFaultIT}'s lost messages: each breaks
 * one promise on purpose, by writing the Redis state or the broker directly the way a bug would
 * (bypassing the scripts' fencing and state checks), and each test asserts that the ledger reports
 * that very violation; one more asserts that it reports nothing else. The double dispatch leaves
 * the scripts' own counters ({@code releases}, {@code commits}) untouched, so only the processors'
 * independent record can see it. The breaks run side by side and one ledger check judges them all.
 */
class LedgerControlsIT {
    /** head, one branch that waits for the test to open its gate (so it is tampered with while it runs), join. */
    private static final Workload WORK = new Workload("control", 1, 100, 100, false).gatedBranches();
    private static final Duration WAIT = Duration.ofSeconds(60);

    static ProcessCluster cluster;
    static Ledger.Report report;
    static volatile String dispatchedTwice;
    static volatile String committedTwice;
    static volatile String rewritten;
    static volatile String cancelled;
    static List<String> idleQueues;
    static Channel holder;
    static Channel listener;

    @BeforeAll
    static void breakEverythingOnce() throws Exception {
        cluster = ProcessCluster.builder().workers(1).concurrency(8).lease("2s").start();
        cluster.postPipeline(WORK.yaml());
        Ledger ledger = new Ledger(WORK);
        // each break submits its job and watches it at once: the moments to strike last seconds
        try (ExecutorService breaks = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = List.of(
                    breaks.submit(() -> {
                        dispatchedTwice = submit(ledger, 1);
                        // a second release of b1 while its first attempt runs: the first is stopped (its lease no
                        // longer renews) and fenced, the second runs and commits; every script counter looks right
                        awaitState(dispatchedTwice, "b1", "RUNNING");
                        dispatchAgain(dispatchedTwice, "b1");
                        awaitOrExplain(dispatchedTwice, "b1's second attempt", () -> "2".equals(redis().hget(task(dispatchedTwice, "b1"), "attempts")));
                        openGate(dispatchedTwice);
                        awaitStatus(dispatchedTwice, "SUCCESS");
                        return null;
                    }),
                    breaks.submit(() -> {
                        committedTwice = submit(ledger, 2);
                        // head finished and released b1; now head is dispatched again, runs and commits a second time
                        awaitState(committedTwice, "b1", "RUNNING");
                        dispatchAgain(committedTwice, "head");
                        awaitOrExplain(committedTwice, "head's second commit", () -> "2".equals(redis().hget(task(committedTwice, "head"), "commits")));
                        openGate(committedTwice);
                        awaitStatus(committedTwice, "SUCCESS");
                        return null;
                    }),
                    breaks.submit(() -> {
                        rewritten = submit(ledger, 3);
                        openGate(rewritten);
                        awaitStatus(rewritten, "SUCCESS");
                        redis().hset(keys().data(new JobId(rewritten)), "branch1", "rewritten"); // HSET where the commit does HSETNX
                        return null;
                    }),
                    breaks.submit(() -> {
                        cancelled = submit(ledger, 4);
                        ledger.expect(cancelled, Set.of("CANCELLED"));
                        awaitState(cancelled, "b1", "RUNNING");
                        assertEquals(202, ProcessCluster.status(cluster.post("/api/v1/jobs/" + cancelled + "/cancel", "", "application/json")));
                        awaitStatus(cancelled, "CANCELLED");
                        dispatchAgain(cancelled, "join"); // the worker drops it (the job is not running), but it was dispatched
                        return null;
                    }));
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        }
        assertEquals("1", redis().hget(task(dispatchedTwice, "b1"), "releases"), "the scripts counted one release of b1");
        assertEquals("1", redis().hget(task(dispatchedTwice, "b1"), "commits"), "and one commit");

        // a pool nobody serves: one of its queues keeps a ready message, one a message a channel took
        // without acking (invisible to AMQP's message count), one a consumer
        idleQueues = keys().poolQueues("idle"); // high, medium, low
        try (Channel ch = cluster.rabbit().createChannel()) {
            Topology topology = new Topology(keys(), QueueType.QUORUM);
            for (String routingKey : List.of("idle:high", "idle", "idle:low")) {
                topology.declarePool(ch, routingKey);
            }
            ch.confirmSelect();
            for (String routingKey : List.of("idle:high", "idle")) {
                ch.basicPublish(keys().taskExchange(), routingKey, true, new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                        "left behind".getBytes(StandardCharsets.UTF_8));
            }
            ch.waitForConfirmsOrDie(10_000);
        }
        holder = cluster.rabbit().createChannel();
        assertTrue(holder.basicGet(idleQueues.get(0), false) != null, "took the high queue's message, unacked");
        listener = cluster.rabbit().createChannel();
        listener.basicConsume(idleQueues.get(2), false, new DefaultConsumer(listener));

        // the worker stays up but stops consuming, as the fault tests' stopped workers do
        assertEquals(200, ProcessCluster.status(cluster.post("/api/v1/admin/pools/default/pause", "", "application/json")));
        ProcessCluster.await("the worker to stop consuming", () -> keys().poolQueues("default").stream().allMatch(q -> consumers(q) == 0));
        Thread.sleep(Ledger.QUEUE_METRICS_TICK.toMillis()); // the broker's next metrics tick shows the unacked message
        report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
        System.out.println("ledger controls: " + report.summary() + " violations:\n  " + String.join("\n  ", report.violations()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (holder != null) {
            holder.abort();
        }
        if (listener != null) {
            listener.abort();
        }
        if (cluster != null) {
            if (idleQueues != null) {
                try (Channel ch = cluster.rabbit().createChannel()) {
                    for (String q : idleQueues) {
                        ch.queueDelete(q);
                    }
                }
            }
            cluster.close();
        }
    }

    private static void openGate(String job) {
        AuditProcessors.openGate(redis(), keys().namespace(), job, "b1");
    }

    private static String submit(Ledger ledger, int n) {
        String job = cluster.submit(WORK.name(), WORK.body(n), WAIT);
        ledger.submitted(job);
        return job;
    }

    private static RedisClusterCommands<String, String> redis() {
        return cluster.redis();
    }

    private static Keys keys() {
        return cluster.keys();
    }

    private static String task(String job, String node) {
        return keys().task(new JobId(job), node);
    }

    private static long consumers(String queue) {
        try (Channel ch = cluster.rabbit().createChannel()) {
            return ch.queueDeclarePassive(queue).getConsumerCount();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void awaitState(String job, String node, String state) {
        awaitOrExplain(job, job + "/" + node + " to be " + state, () -> state.equals(redis().hget(task(job, node), "state")));
    }

    private static void awaitStatus(String job, String status) {
        awaitOrExplain(job, "job " + job + " to end " + status, () -> status.equals(redis().hget(keys().job(new JobId(job)), "status")));
    }

    private static void awaitOrExplain(String job, String what, java.util.function.BooleanSupplier condition) {
        try {
            dev.pipewright.it.support.Cluster.await(what, WAIT, condition);
        } catch (AssertionError e) {
            StringBuilder b = new StringBuilder(e.getMessage()).append("\njob ").append(redis().hgetall(keys().job(new JobId(job))));
            for (String node : List.of("head", "b1", "join")) {
                b.append("\n").append(node).append(' ').append(redis().hgetall(task(job, node)));
            }
            b.append("\naudit ").append(redis().lrange(AuditProcessors.key(keys().namespace(), job), 0, -1));
            throw new AssertionError(b.toString(), e);
        }
    }

    /**
     * What a buggy release or timer would do: mark a task READY under a new dispatch id and publish
     * its message, without any of the scripts' counters ({@code releases}, {@code lost}) seeing it.
     */
    private static void dispatchAgain(String job, String node) throws Exception {
        JobId id = new JobId(job);
        long seq;
        synchronized (LedgerControlsIT.class) {
            seq = redis().hincrby(keys().job(id), "seq", 1);
            redis().hset(task(job, node), java.util.Map.of("state", "READY", "dispatch", Long.toString(seq)));
        }
        // the message dispatch() writes (lib.lua task_message)
        String body = "{\"type\":\"task\",\"v\":" + TaskMessage.VERSION + ",\"job\":\"" + job + "\",\"shard\":"
                + id.shard(keys().shards()) + ",\"node\":\"" + node + "\",\"dispatch\":" + seq + "}";
        try (Channel ch = cluster.rabbit().createChannel()) {
            ch.confirmSelect();
            ch.basicPublish(keys().taskExchange(), "default", true,
                    new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("application/json").build(),
                    body.getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(10_000);
        }
    }

    private static void assertReported(String... fragments) {
        assertTrue(report.reports(fragments), "expected a violation with " + List.of(fragments) + " among " + report.violations());
    }

    @Test
    void aTaskDispatchedTwiceIsCaughtByTheProcessorsRecordAlone() {
        assertReported("task " + dispatchedTwice + "/b1 ran 2 times", "0 lost leases and 0 hand-backs: dispatched again with no cause");
    }

    @Test
    void aSecondCommitIsCaughtByTheScriptsCountersAndByTheProcessorsRecord() {
        assertReported("task " + committedTwice + "/head committed 2 times");
        assertReported("job " + committedTwice + ": a consumable was written 1 more time");
        // the independent evidence: b1 ran before the run that committed head last had finished
        assertReported("task " + committedTwice + "/b1", "before its parent head's committing attempt #2 finished");
        assertReported("task " + committedTwice + "/head ran 2 times", "dispatched again with no cause");
    }

    @Test
    void aRewrittenConsumableIsCaught() {
        assertReported("job " + rewritten + ": consumable branch1 is rewritten, expected " + WORK.seed(3) + "t1");
    }

    @Test
    void aTaskDispatchedAfterItsJobWasCancelledIsCaught() {
        assertReported("job " + cancelled + ": dispatched after its cancel");
    }

    @Test
    void messagesLeftReadyOrUnackedAndConsumersLeftOnAPoolQueueAreCaught() throws Exception {
        assertReported("queue " + idleQueues.get(0) + " holds 1 unacked messages");
        assertReported("queue " + idleQueues.get(1) + " holds 1 ready messages");
        assertReported("queue " + idleQueues.get(2) + " still has 1 consumers");
        assertEquals(0, cluster.messageCount(idleQueues.get(0)), "AMQP's message count does not see the unacked message");
    }

    @Test
    void theLedgerReportsNothingElse() {
        List<String> expected = List.of(dispatchedTwice + "/b1 ran 2 times", committedTwice + "/head", committedTwice + "/b1",
                "job " + committedTwice + ": a consumable was written", "job " + rewritten + ": consumable branch1",
                "job " + cancelled + ": dispatched after its cancel", cancelled + "/join is READY in a job that ended CANCELLED",
                "queue " + idleQueues.get(0) + " ", "queue " + idleQueues.get(1) + " ", "queue " + idleQueues.get(2) + " ");
        List<String> unexpected = report.violations().stream().filter(v -> expected.stream().noneMatch(v::contains)).toList();
        assertEquals(List.of(), unexpected, "only the planted faults are reported");
    }
}
