package dev.pipewright.it.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.redis.Script;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.TcpProxy;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batched hot path under SIGKILL: a process is killed after one of its batched scripts ran in
 * Redis and before it acted on the reply, once for each batch: a worker's {@code claim} of several
 * deliveries, a worker's {@code commit} of several attempts' ends, the overseer's {@code release} of
 * several completion events. Each time the ledger then finds every job ended SUCCESS, every
 * consumable written once, every release done once and RabbitMQ empty.
 *
 * <p>How the kill point is hit without timing: the victim reaches Redis through a {@link TcpProxy}
 * that parses the commands it sends. {@link TcpProxy#stallAfter} forwards the first {@code FCALL}
 * of the script with at least two items and then holds every byte of every connection (the reply
 * among them), so Redis has run the batch and the process never hears of it; the test reads Redis
 * directly (past the proxy) to see the batch took effect for each of its items, then SIGKILLs the
 * process, drops what the proxy held and restarts it. A batch of several items is made
 * certain, not likely: the messages (or events) are made to wait in the victim while its Redis is
 * stalled, so the call after the first one carries all of them; the tripped command's own
 * arguments are parsed and asserted to hold at least two items.
 */
class BatchKillFaultIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Jobs per test: each one's head is one item of the batch (all jobs in one shard). */
    private static final int JOBS = 6;
    private static final Duration END = Duration.ofMinutes(3);

    // ---------------------------------------------------------------- 1. claim

    /**
     * The worker is killed after its claim of several deliveries ran: Redis holds those attempts
     * RUNNING under its leases, RabbitMQ the messages unacked. The broker redelivers them (to the
     * restarted worker, which finds them stale), the leases expire and the tasks run again.
     */
    @Test
    void workerKilledAfterABatchedClaim() throws Exception {
        Workload work = new Workload("bkclaim", 2, 200);
        URI rabbit = TestServices.rabbitUri();
        URI redis = TestServices.redisUri();
        try (TcpProxy redisProxy = new TcpProxy(redis.getHost(), redis.getPort());
             ProcessCluster cluster = ProcessCluster.builder().workers(1).concurrency(8).shards(1).lease("4s")
                     .workerServices(0, rabbit, through(redis, redisProxy)).start()) {
            cluster.postPipeline(work.yaml());
            Ledger ledger = new Ledger(work);
            String victim = cluster.workerId(0);
            queueHeads(cluster, ledger, work);

            // the worker receives every head while its Redis is stalled: its first claim waits at the
            // proxy and the rest wait in its buffer, so the next claim call carries them all
            redisProxy.stall(true);
            resume(cluster);
            awaitReady(cluster, 0);
            redisProxy.stallAfter(fcall(Script.CLAIM, 2));
            redisProxy.stall(false);
            List<Item> batch = awaitTrip(redisProxy, Script.CLAIM);
            assertTrue(batch.size() >= 2, "the claim batch held several deliveries: " + batch);

            // Redis ran the whole batch: each attempt RUNNING under the victim's lease
            RedisClusterCommands<String, String> direct = cluster.redis();
            Keys keys = cluster.keys();
            for (Item i : batch) {
                JobId job = new JobId(i.job());
                Map<String, String> t = direct.hgetall(keys.task(job, i.node()));
                assertEquals("RUNNING", t.get("state"), i + ": " + t);
                assertEquals(victim, t.get("worker"), i + ": " + t);
                assertEquals(i.id(), t.get("attempt"), i + ": " + t);
                assertNotNull(direct.zscore(keys.leases(0), Keys.member(job, i.node())), i + " holds a lease");
            }
            // and the worker never acted on the reply: no processor of the batch started
            assertEquals(List.of(), started(direct, keys, batch), "runs of the claimed attempts before the kill");

            cluster.killWorker(0);
            clear(redisProxy);
            // the claim's deliveries were never acked: the broker takes them back
            ProcessCluster.await("the claimed messages to be requeued", () -> ready(cluster) >= batch.size());
            cluster.startWorker(0);

            Ledger.Report report = finish(cluster, ledger, "claim", batch);
            for (Item i : batch) {
                Map<String, String> t = direct.hgetall(keys.task(new JobId(i.job()), i.node()));
                assertEquals("1", t.get("lost"), "the killed claim's lease expired and the task ran again: " + i + " " + t);
                assertEquals("2", t.get("attempts"), i + ": " + t);
            }
            assertTrue(report.lostLeases() >= batch.size(), report.summary());
        }
    }

    // ---------------------------------------------------------------- 2. commit

    /**
     * The worker is killed after its commit of several attempts ran: Redis holds their outputs, the
     * tasks SUCCESS and their events. Its acks are held back too (its RabbitMQ connection goes
     * through a proxy that forwards nothing it sends), so the broker redelivers every message; the
     * restarted worker recognises them as done and nothing runs or is written twice.
     */
    @Test
    void workerKilledAfterABatchedCommit() throws Exception {
        Workload work = new Workload("bkcommit", 2, 200);
        URI rabbit = TestServices.rabbitUri();
        URI redis = TestServices.redisUri();
        try (TcpProxy redisProxy = new TcpProxy(redis.getHost(), redis.getPort());
             TcpProxy rabbitProxy = new TcpProxy(rabbit.getHost(), rabbit.getPort());
             ProcessCluster cluster = ProcessCluster.builder().workers(1).concurrency(8).shards(1).lease("5s")
                     .workerServices(0, through(rabbit, rabbitProxy), through(redis, redisProxy)).start()) {
            cluster.postPipeline(work.yaml());
            Ledger ledger = new Ledger(work);
            String victim = cluster.workerId(0);
            RedisClusterCommands<String, String> direct = cluster.redis();
            Keys keys = cluster.keys();
            List<String> jobs = queueHeads(cluster, ledger, work);

            redisProxy.stall(true);
            resume(cluster);
            awaitReady(cluster, 0); // every head delivered; no claim answered, so no ack sent yet
            rabbitProxy.holdUpstream(true); // from here the broker hears nothing from the victim: no ack
            // the first commit is held before it reaches Redis; the other attempts end meanwhile and
            // wait in the commit batcher, so the next commit call carries them all
            redisProxy.stallOn(Script.COMMIT.functionName());
            redisProxy.stall(false);
            ProcessCluster.await("every head to finish its run", () -> redisProxy.trips() == 1
                    && jobs.stream().allMatch(j -> audit(direct, keys, j).stream().anyMatch(a -> a.startsWith("F|head|1|" + victim + "|"))));
            redisProxy.disarm();
            redisProxy.stallAfter(fcall(Script.COMMIT, 2));
            redisProxy.stall(false);
            List<Item> batch = awaitTrip(redisProxy, Script.COMMIT);
            assertTrue(batch.size() >= 2, "the commit batch held several attempts: " + batch);

            // Redis ran the whole batch: each attempt's outputs written and its task SUCCESS
            for (Item i : batch) {
                JobId job = new JobId(i.job());
                Map<String, String> t = direct.hgetall(keys.task(job, i.node()));
                assertEquals("SUCCESS", t.get("state"), i + ": " + t);
                assertEquals(i.id(), t.get("attempt"), i + ": " + t);
                assertEquals("1", t.get("commits"), i + ": " + t);
                assertNotNull(direct.hget(keys.data(job), "head_out"), i + "'s output");
            }

            cluster.killWorker(0);
            clear(redisProxy);
            rabbitProxy.cut(); // the held acks die with the connection
            rabbitProxy.holdUpstream(false);
            // no ack of any head reached the broker: the committed attempts' messages are redelivered
            ProcessCluster.await("the committed attempts' messages to be requeued", () -> ready(cluster) >= batch.size());
            cluster.startWorker(0);

            finish(cluster, ledger, "commit", batch);
            for (Item i : batch) {
                Map<String, String> t = direct.hgetall(keys.task(new JobId(i.job()), i.node()));
                assertEquals("1", t.get("attempts"), "the redelivered message was recognised as done: " + i + " " + t);
                assertEquals("1", t.get("commits"), i + ": " + t);
            }
            assertTrue(cluster.duplicatesDropped() >= batch.size(),
                    "the restarted worker dropped the redelivered messages of the committed attempts: " + cluster.workerNote());
        }
    }

    // ---------------------------------------------------------------- 3. release

    /**
     * The overseer is killed after its release of several events ran: the events are acknowledged
     * and deleted, the children READY and their messages in the outbox, none published. The
     * restarted overseer's relay publishes them, and every downstream task runs exactly once.
     */
    @Test
    void overseerKilledAfterABatchedRelease() throws Exception {
        Workload work = new Workload("bkrelease", 3, 200);
        URI rabbit = TestServices.rabbitUri();
        URI redis = TestServices.redisUri();
        try (TcpProxy redisProxy = new TcpProxy(redis.getHost(), redis.getPort());
             ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(8).shards(1).lease("3s")
                     .overseerServices(rabbit, through(redis, redisProxy)).start()) {
            Ledger ledger = new Ledger(work);
            List<Item> batch = tripBatchedRelease(cluster, redisProxy, work, ledger);

            cluster.killOverseer();
            clear(redisProxy);
            cluster.startOverseer();

            finish(cluster, ledger, "release", batch, JOBS + 1);
            assertChildrenRanOnce(cluster, work, batch);
        }
    }

    /**
     * As above, but the overseer hears the release's reply and publishes the children's messages,
     * and is killed before RabbitMQ's confirms reach it (its RabbitMQ connection goes through a
     * proxy that holds back what the broker sends): the messages are on the queue and still in the
     * outbox. The restarted overseer's relay finds their tasks claimed and drops the entries (one it
     * published again would be dropped by the worker's claim); every downstream task runs exactly
     * once and the outbox empties.
     */
    @Test
    void overseerKilledAfterPublishingABatchedReleaseBeforeItsConfirms() throws Exception {
        Workload work = new Workload("bkconfirm", 3, 200);
        URI rabbit = TestServices.rabbitUri();
        URI redis = TestServices.redisUri();
        try (TcpProxy redisProxy = new TcpProxy(redis.getHost(), redis.getPort());
             TcpProxy rabbitProxy = new TcpProxy(rabbit.getHost(), rabbit.getPort());
             ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(8).shards(1).lease("3s")
                     .overseerServices(through(rabbit, rabbitProxy), through(redis, redisProxy)).start()) {
            Ledger ledger = new Ledger(work);
            List<Item> batch = tripBatchedRelease(cluster, redisProxy, work, ledger);
            RedisClusterCommands<String, String> direct = cluster.redis();
            Keys keys = cluster.keys();

            rabbitProxy.holdDownstream(true); // no confirm reaches the overseer from here
            redisProxy.stall(false); // the release's reply does: the overseer publishes the children
            ProcessCluster.await("the released children to run (their messages were published)", () -> batch.stream()
                    .allMatch(i -> {
                        List<String> audit = audit(direct, keys, i.job());
                        for (int k = 1; k <= work.width(); k++) {
                            String prefix = "S|b" + k + "|";
                            if (audit.stream().noneMatch(a -> a.startsWith(prefix))) {
                                return false;
                            }
                        }
                        return true;
                    }));
            cluster.killOverseer();
            // published, unconfirmed: every child's entry is still in the outbox
            Set<String> outbox = outbox(direct, keys);
            for (Item i : batch) {
                for (int k = 1; k <= work.width(); k++) {
                    assertTrue(outbox.contains(i.job() + "/b" + k), i + " b" + k + " unconfirmed, in the outbox: " + outbox);
                }
            }
            clear(redisProxy);
            rabbitProxy.cut();
            rabbitProxy.holdDownstream(false);
            cluster.startOverseer();

            finish(cluster, ledger, "release, publish, no confirm", batch, JOBS + 1);
            assertChildrenRanOnce(cluster, work, batch);
        }
    }

    /**
     * Queues every job's head, then trips the overseer's first release call of several events: its
     * first release is held before it reaches Redis while the other heads' events arrive, so its
     * next read takes them all into one call. Checks Redis ran the whole batch (each event gone
     * from the stream, its children READY, released once, their messages in the outbox) and returns
     * it, with the overseer's Redis stalled.
     */
    private static List<Item> tripBatchedRelease(ProcessCluster cluster, TcpProxy redisProxy, Workload work, Ledger ledger) throws Exception {
        cluster.postPipeline(work.yaml());
        RedisClusterCommands<String, String> direct = cluster.redis();
        Keys keys = cluster.keys();
        // one job first, so the event processor's publisher has opened its channel before the
        // batch: a test that holds back what RabbitMQ sends would hold that channel's opening too
        String warmUp = cluster.submit(work.name(), work.body(JOBS), Duration.ofSeconds(30));
        ledger.submitted(warmUp);
        ProcessCluster.await("the first job to end", () -> "SUCCESS".equals(direct.hget(keys.job(new JobId(warmUp)), "status")));
        queueHeads(cluster, ledger, work);
        redisProxy.stallOn(Script.RELEASE.functionName());
        resume(cluster);
        ProcessCluster.await("every head's event", () -> redisProxy.trips() == 1 && direct.xlen(keys.events(0)) == JOBS);
        redisProxy.disarm();
        redisProxy.stallAfter(fcall(Script.RELEASE, 2));
        redisProxy.stall(false);
        List<Item> batch = awaitTrip(redisProxy, Script.RELEASE);
        assertTrue(batch.size() >= 2, "the release batch held several events: " + batch);

        Set<String> outbox = outbox(direct, keys);
        for (Item i : batch) {
            JobId job = new JobId(i.job());
            assertEquals(List.of(), direct.xrange(keys.events(0), Range.create(i.id(), i.id())), i + " acknowledged and deleted");
            for (int k = 1; k <= work.width(); k++) {
                Map<String, String> t = direct.hgetall(keys.task(job, "b" + k));
                assertEquals("READY", t.get("state"), i + " b" + k + ": " + t);
                assertEquals("1", t.get("releases"), i + " b" + k + ": " + t);
                assertTrue(outbox.contains(i.job() + "/b" + k), i + " b" + k + " waits in the outbox: " + outbox);
            }
        }
        return batch;
    }

    /** The tasks the outbox holds messages for, as {@code job/node}. */
    private static Set<String> outbox(RedisClusterCommands<String, String> redis, Keys keys) throws Exception {
        Set<String> out = new TreeSet<>();
        for (StreamMessage<String, String> e : redis.xrange(keys.outbox(0), Range.create("-", "+"))) {
            JsonNode m = JSON.readTree(e.getBody().get("m"));
            out.add(m.path("job").asText() + "/" + m.path("node").asText());
        }
        return out;
    }

    private static void assertChildrenRanOnce(ProcessCluster cluster, Workload work, List<Item> batch) {
        RedisClusterCommands<String, String> direct = cluster.redis();
        for (Item i : batch) {
            List<String> audit = audit(direct, cluster.keys(), i.job());
            for (int k = 1; k <= work.width(); k++) {
                Map<String, String> t = direct.hgetall(cluster.keys().task(new JobId(i.job()), "b" + k));
                assertEquals("1", t.get("attempts"), "released once, ran once: " + i + " b" + k + " " + t);
                assertEquals("1", t.get("releases"), i + " b" + k + ": " + t);
                String prefix = "S|b" + k + "|";
                assertEquals(1, audit.stream().filter(a -> a.startsWith(prefix)).count(), i + " b" + k + " runs: " + audit);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** One item of a batched call: job, node and the attempt id (claim, commit) or event entry id (release). */
    record Item(String job, String node, String id) {
    }

    private static URI through(URI service, TcpProxy proxy) {
        return URI.create(service.toString().replaceFirst(":" + service.getPort(), ":" + proxy.port()));
    }

    /**
     * Pauses the pool, submits {@link #JOBS} jobs and waits until each one's head waits in the
     * queue; the pool is resumed by the test when its victim is ready.
     */
    private static List<String> queueHeads(ProcessCluster cluster, Ledger ledger, Workload work) throws Exception {
        assertEquals(200, ProcessCluster.status(cluster.post("/api/v1/admin/pools/default/pause", "", "application/json")));
        ProcessCluster.await("the workers to stop consuming", () -> cluster.keys().poolQueues("default").stream().allMatch(q -> {
            try (var ch = cluster.rabbit().createChannel()) {
                return ch.queueDeclarePassive(q).getConsumerCount() == 0;
            } catch (Exception e) {
                return false;
            }
        }));
        List<String> jobs = new ArrayList<>();
        for (int n = 0; n < JOBS; n++) {
            String id = cluster.submit(work.name(), work.body(n), Duration.ofSeconds(30));
            ledger.submitted(id);
            jobs.add(id);
        }
        awaitReady(cluster, JOBS);
        return jobs;
    }

    private static void resume(ProcessCluster cluster) {
        assertEquals(200, ProcessCluster.status(cluster.post("/api/v1/admin/pools/default/resume", "", "application/json")));
    }

    /** Ready messages on the default pool's (medium) queue. */
    private static long ready(ProcessCluster cluster) {
        try {
            return cluster.messageCount(cluster.keys().poolQueue("default"));
        } catch (Exception e) {
            return -1;
        }
    }

    private static void awaitReady(ProcessCluster cluster, long n) {
        ProcessCluster.await(n + " ready messages on the pool queue", () -> ready(cluster) == n);
    }

    /** After the kill: whatever the proxy held is dropped with its connections, and it forwards freely again. */
    private static void clear(TcpProxy proxy) {
        proxy.disarm();
        proxy.cut();
        proxy.stall(false);
    }

    /** Waits for runs to end, stops the workers, checks the ledger and fails on any violation. */
    private static Ledger.Report finish(ProcessCluster cluster, Ledger ledger, String what, List<Item> batch) throws Exception {
        return finish(cluster, ledger, what, batch, JOBS);
    }

    private static Ledger.Report finish(ProcessCluster cluster, Ledger ledger, String what, List<Item> batch, int jobs) throws Exception {
        boolean ended = ledger.awaitEnd(cluster, END);
        cluster.stopWorkers();
        Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
        System.out.println("batch kill (" + what + "): batch of " + batch.size() + " " + batch + " " + cluster.workerNote() + " "
                + report.summary());
        if (!report.violations().isEmpty() || !ended) {
            System.out.println(cluster.logs());
        }
        report.assertClean();
        assertTrue(ended, "every job ended and the outbox emptied");
        assertEquals(jobs, report.jobs());
        assertEquals(Map.of("SUCCESS", jobs), report.jobStatuses());
        return report;
    }

    /** A call of {@code script} with at least {@code min} items. */
    private static Predicate<List<byte[]>> fcall(Script script, int min) {
        return command -> {
            List<Item> items = items(script, command);
            return items != null && items.size() >= min;
        };
    }

    private static List<Item> awaitTrip(TcpProxy proxy, Script script) {
        ProcessCluster.await("a batched " + script + " call", () -> !proxy.tripped().isEmpty());
        return items(script, proxy.tripped().get(0));
    }

    /** The items of an {@code FCALL} of {@code script}, from its arguments (see StateGateway); null for any other command. */
    static List<Item> items(Script script, List<byte[]> command) {
        if (command.size() < 3 || !text(command.get(0)).equalsIgnoreCase("FCALL") || !text(command.get(1)).equals(script.functionName())) {
            return null;
        }
        int numKeys = Integer.parseInt(text(command.get(2)));
        List<String> args = command.subList(3 + numKeys, command.size()).stream().map(BatchKillFaultIT::text).toList();
        List<Item> items = new ArrayList<>();
        switch (script) {
            case CLAIM -> { // worker id, lease, then job, node, dispatch, attempt id
                for (int i = 2; i + 3 < args.size(); i += 4) {
                    items.add(new Item(args.get(i), args.get(i + 1), args.get(i + 3)));
                }
            }
            case RELEASE -> { // the overseer's id and fencing token, group, shard, then entry id, job, node, outcome
                for (int i = 4; i + 3 < args.size(); i += 4) {
                    items.add(new Item(args.get(i + 1), args.get(i + 2), args.get(i)));
                }
            }
            case COMMIT -> { // job, node, attempt id, outcome, error, retryable, n, then n × (name, value, type)
                for (int i = 0; i + 6 < args.size(); i += 7 + 3 * Integer.parseInt(args.get(i + 6))) {
                    items.add(new Item(args.get(i), args.get(i + 1), args.get(i + 2)));
                }
            }
            default -> throw new IllegalArgumentException("not a batched script: " + script);
        }
        return items;
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static List<String> audit(RedisClusterCommands<String, String> redis, Keys keys, String job) {
        return redis.lrange(AuditProcessors.key(keys.namespace(), job), 0, -1);
    }

    /** Audit records of runs started for the batch's attempts. */
    private static List<String> started(RedisClusterCommands<String, String> redis, Keys keys, List<Item> batch) {
        List<String> out = new ArrayList<>();
        for (Item i : batch) {
            audit(redis, keys, i.job()).stream().filter(a -> a.startsWith("S|" + i.node() + "|")).forEach(a -> out.add(i.job() + " " + a));
        }
        return out;
    }
}
