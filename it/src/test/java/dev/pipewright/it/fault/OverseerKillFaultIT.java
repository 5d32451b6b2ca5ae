package dev.pipewright.it.fault;

import dev.pipewright.overseer.release.EventProcessor;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The overseer SIGKILLed 5 times at random points of a run and restarted;
 * jobs resume from Redis, pending events and outbox entries are replayed, and the ledger finds
 * nothing lost or done twice. Jobs go on being submitted throughout (a submit whose answer the
 * kill swallowed is retried; the ledger holds the system to any job it created). Each kill is
 * aimed: the overseer is frozen at the random point and, while it had no event read and not yet
 * applied and no outbox entry not yet confirmed, thawed and frozen again a moment later (for up to
 * 2 s), then killed; what was pending at each kill is recorded, and at least one kill must have
 * landed with such work in flight.
 *
 * <p>Durable timers: a retry back-off, a queue timeout, an attempt timeout (of an attempt that
 * ignores its interrupt, so only the overseer's timer can end it) and a job deadline, all pending
 * when the overseer is killed and due while it is down, fire once it is back, within their bound
 * plus the restart, and not before.
 */
class OverseerKillFaultIT {
    private static final int KILLS = Soak.times(5);
    private static final int JOBS_PER_ROUND = 24;

    /** What the overseer left in flight when it was killed. */
    record KillPoint(long outbox, long eventsRead, long eventsUnread, int thaws) {
        boolean inFlight() {
            return outbox > 0 || eventsRead > 0;
        }
    }

    @Test
    void fiveOverseerKillsDuringARun() throws Exception {
        Workload work = new Workload("fan", 6, 60);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<KillPoint> kills = new ArrayList<>();
        try (ProcessCluster cluster = ProcessCluster.builder().workers(3).concurrency(4).lease("3s").start()) {
            cluster.postPipeline(work.yaml());
            Ledger ledger = new Ledger(work);
            int n = 0;
            for (int round = 0; round < KILLS; round++) {
                long killAt = System.nanoTime() + Duration.ofMillis(300 + random.nextInt(2000)).toNanos();
                while (System.nanoTime() < killAt) {
                    String id = cluster.trySubmit(work.name(), work.body(n++));
                    if (id != null) {
                        ledger.submitted(id);
                    }
                    Thread.sleep(1000 / JOBS_PER_ROUND);
                }
                kills.add(killWithWorkInFlight(cluster, random));
                Thread.sleep(random.nextInt(1000));
                cluster.startOverseer();
            }
            for (int i = 0; i < JOBS_PER_ROUND; i++) {
                ledger.submitted(cluster.submit(work.name(), work.body(n++), Duration.ofSeconds(30)));
            }
            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(3));
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            System.out.println("overseer kills: seed=" + seed + " kills=" + KILLS + " starts=" + cluster.overseerStarts()
                    + " in flight at each kill=" + kills + " " + cluster.workerNote() + " " + report.summary());
            report.assertClean();
            assertTrue(ended);
            assertTrue(report.jobs() >= ledger.submittedJobs().size());
            assertTrue(kills.stream().anyMatch(KillPoint::inFlight),
                    "at least one kill landed while events or outbox entries were in flight: " + kills);
        }
    }

    /**
     * Freezes the overseer and, unless it has work in flight (events read and not applied, outbox
     * entries not confirmed), thaws it for a moment and looks again, for up to 2 s; then SIGKILLs it
     * (frozen) and returns what was pending.
     */
    private static KillPoint killWithWorkInFlight(ProcessCluster cluster, Random random) throws Exception {
        long giveUp = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        int thaws = 0;
        while (true) {
            cluster.signalOverseer("STOP");
            KillPoint at = pending(cluster, thaws);
            if (at.inFlight() || System.nanoTime() > giveUp) {
                cluster.killOverseer();
                return at;
            }
            cluster.signalOverseer("CONT");
            thaws++;
            Thread.sleep(5 + random.nextInt(30));
        }
    }

    private static KillPoint pending(ProcessCluster cluster, int thaws) {
        RedisClusterCommands<String, String> redis = cluster.redis();
        Keys keys = cluster.keys();
        long outbox = 0;
        long read = 0;
        long all = 0;
        for (int shard = 0; shard < keys.shards(); shard++) {
            outbox += redis.xlen(keys.outbox(shard));
            all += redis.xlen(keys.events(shard));
            try {
                read += redis.xpending(keys.events(shard), EventProcessor.GROUP).getCount();
            } catch (RuntimeException e) {
                // no group yet
            }
        }
        return new KillPoint(outbox, read, Math.max(0, all - read), thaws);
    }

    // ---------------------------------------------------------------- durable timers

    private static final long SLACK_MS = 3000;

    @Test
    void timersPendingWhenTheOverseerIsKilledFireAfterItsRestart() throws Exception {
        Workload work = new Workload("unused", 1, 0);
        try (ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(4).lease("3s").pools("default", "late").start()) {
            RedisClusterCommands<String, String> redis = cluster.redis();
            Keys keys = cluster.keys();
            cluster.postPipeline("""
                    name: retrying
                    dataNodes: {seed: {}, x: {}, y: {}}
                    processNodes:
                      flaky:
                        input: [seed]
                        output: [x]
                        processor: audit.sleep
                        config: {failUntil: 3}
                        retries: {max: 3, backoff: fixed, initial: 5s, jitter: 0}
                      after: {input: [x], output: [y], processor: audit.sleep, config: {ms: 10}}
                    """);
            // the queue timeout falls due last (the others come due 4 to 5 s after their start): the
            // test waits until a timer of each kind is pending, and under load a 5 s queue timeout
            // could fire in that wait, before the kill
            cluster.postPipeline("""
                    name: queued
                    dataNodes: {seed: {}, x: {}}
                    processNodes:
                      waits: {input: [seed], output: [x], processor: audit.sleep, pool: late, queueTimeout: 9s}
                    """);
            cluster.postPipeline("""
                    name: hung
                    dataNodes: {seed: {}, x: {}}
                    processNodes:
                      stuck: {input: [seed], output: [x], processor: audit.sleep, config: {hangMs: 22000}, timeout: 4s}
                    """);
            cluster.postPipeline("""
                    name: deadline
                    deadline: 5s
                    dataNodes: {seed: {}, x: {}, y: {}}
                    processNodes:
                      long: {input: [seed], output: [x], processor: audit.sleep, config: {ms: 60000}}
                      next: {input: [x], output: [y], processor: audit.sleep}
                    """);
            // the queue timeout's task waits in a pool whose workers do not consume it
            assertEquals(200, ProcessCluster.status(cluster.post("/api/v1/admin/pools/late/pause", "", "application/json")));
            ProcessCluster.await("the workers to stop consuming the late pool", () -> keys.poolQueues("late").stream().allMatch(q -> {
                try (var ch = cluster.rabbit().createChannel()) {
                    return ch.queueDeclarePassive(q).getConsumerCount() == 0;
                } catch (Exception e) {
                    return false;
                }
            }));
            Ledger ledger = new Ledger(work);
            Map<String, String> kindOf = new LinkedHashMap<>();
            for (String pipeline : List.of("hung", "retrying", "deadline", "queued")) {
                String seed = pipeline + "-seed";
                String id = cluster.submit(pipeline, "{\"inputs\": {\"seed\": \"" + seed + "\"}}", Duration.ofSeconds(30));
                ledger.submitted(id);
                kindOf.put(id, pipeline);
                if (pipeline.equals("retrying")) {
                    ledger.expectContent(id, Map.of("x", seed, "y", seed));
                } else {
                    ledger.expect(id, Set.of("FAILED"));
                }
            }
            // every kind of timer is pending (the retries' first attempts failed, the hung attempts run)
            try {
                ProcessCluster.await("a timer of each kind", () -> {
                    Set<String> kinds = new java.util.TreeSet<>();
                    timers(redis, keys).keySet().forEach(m -> kinds.add(m.substring(0, 1)));
                    return kinds.equals(Set.of("a", "d", "q", "r"));
                });
            } catch (AssertionError e) {
                StringBuilder b = new StringBuilder(e.getMessage()).append(": timers ").append(timers(redis, keys));
                for (String id : kindOf.keySet()) {
                    b.append("\n").append(kindOf.get(id)).append(' ').append(redis.hgetall(keys.job(new JobId(id))));
                    for (String node : redis.lrange(keys.nodes(new JobId(id)), 0, -1)) {
                        b.append("\n  ").append(node).append(' ').append(redis.hgetall(keys.task(new JobId(id), node)));
                    }
                }
                throw new AssertionError(b.toString(), e);
            }
            cluster.killOverseer();
            long killedAt = System.currentTimeMillis();
            Map<String, Long> pending = timers(redis, keys);
            assertEquals(Set.of("a", "d", "q", "r"), pending.keySet().stream().map(m -> m.substring(0, 1)).collect(java.util.stream.Collectors.toSet()),
                    "a timer of each kind was pending at the kill: " + pending);
            Map<String, String> attemptsAtKill = new TreeMap<>();
            pending.keySet().stream().filter(m -> m.startsWith("r|")).forEach(m -> {
                String[] p = m.split("\\|");
                attemptsAtKill.put(m, redis.hget(keys.task(new JobId(p[1]), p[2]), "attempts"));
            });
            long lastDue = pending.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            Thread.sleep(Math.max(0, lastDue - System.currentTimeMillis()) + 500); // all of them are due while it is down
            cluster.startOverseer();
            long readyAt = System.currentTimeMillis();

            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(2));
            assertEquals(200, ProcessCluster.status(cluster.post("/api/v1/admin/pools/late/resume", "", "application/json")));
            // the hung attempts' processors return at last (their commits are fenced), and the late
            // pool's workers drop the timed-out tasks' messages
            ProcessCluster.await("the hung attempts to give up", () -> kindOf.entrySet().stream().filter(e -> e.getValue().equals("hung"))
                    .allMatch(e -> audit(redis, keys, e.getKey()).stream().anyMatch(a -> a.startsWith("F|stuck|"))));
            ProcessCluster.await("the late pool's queue to drain", () -> {
                try {
                    return cluster.messageCount(keys.poolQueue("late")) == 0;
                } catch (Exception e) {
                    return false;
                }
            });
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));

            List<String> late = new ArrayList<>();
            Map<String, Long> firedAfter = new TreeMap<>();
            for (Map.Entry<String, Long> t : pending.entrySet()) {
                String[] p = t.getKey().split("\\|");
                JobId job = new JobId(p[1]);
                long due = t.getValue();
                long fired = switch (p[0]) {
                    case "r" -> startOf(audit(redis, keys, job.value()), p[2], Integer.parseInt(attemptsAtKill.get(t.getKey())) + 1);
                    case "q", "a" -> {
                        Map<String, String> task = redis.hgetall(keys.task(job, p[2]));
                        assertEquals("TIMED_OUT", task.get("state"), t.getKey() + ": " + task);
                        assertTrue(task.get("error").contains(p[0].equals("q") ? "queueTimeout" : "attempt exceeded its timeout"), task::toString);
                        yield Long.parseLong(task.get("ended")) / 1000;
                    }
                    default -> {
                        Map<String, String> j = redis.hgetall(keys.job(job));
                        assertEquals("job deadline exceeded", j.get("reason"), j::toString);
                        yield Long.parseLong(j.get("finished")) / 1000;
                    }
                };
                firedAfter.put(t.getKey(), fired - due);
                if (fired < due - 50 || fired < killedAt || fired > Math.max(due, readyAt) + SLACK_MS) {
                    late.add(t.getKey() + " due " + due + " took effect at " + fired + " (killed " + killedAt + ", ready again " + readyAt + ")");
                }
            }
            for (String id : kindOf.keySet()) {
                if (kindOf.get(id).equals("hung")) {
                    // the timer ended the task while its attempt still hung (the worker could not)
                    Map<String, String> stuck = redis.hgetall(keys.task(new JobId(id), "stuck"));
                    assertTrue(Long.parseLong(stuck.get("ended")) / 1000 < finishOf(audit(redis, keys, id), "stuck"),
                            "the overseer's timer ended " + id + "/stuck: " + stuck);
                    // its worker stopped renewing the lease when it gave up on the attempt; the lease ran out
                    // after the timeout came due, so the timeout, not a lost lease, is what ended it
                    assertEquals("1", stuck.get("attempts"), stuck::toString);
                    assertEquals("0", stuck.get("lost"), stuck::toString);
                }
            }
            System.out.println("durable timers: pending at the kill=" + pending.keySet() + " ms after due when they took effect="
                    + firedAfter + " down " + (readyAt - killedAt) + " ms " + cluster.workerNote() + " " + report.summary());
            report.assertClean();
            assertTrue(ended);
            assertEquals(List.of(), late, "every timer fired after the restart, within its bound plus the restart");
            assertEquals(4, report.jobs());
            assertEquals(Map.of("FAILED", 3, "SUCCESS", 1), report.jobStatuses());
        }
    }

    /** Every shard's timers: member -> due (epoch ms). */
    private static Map<String, Long> timers(RedisClusterCommands<String, String> redis, Keys keys) {
        Map<String, Long> out = new TreeMap<>();
        for (int shard = 0; shard < keys.shards(); shard++) {
            for (ScoredValue<String> v : redis.zrangeWithScores(keys.timers(shard), 0, -1)) {
                out.put(v.getValue(), (long) v.getScore());
            }
        }
        return out;
    }

    private static List<String> audit(RedisClusterCommands<String, String> redis, Keys keys, String job) {
        return redis.lrange(AuditProcessors.key(keys.namespace(), job), 0, -1);
    }

    /** When (ms) the processor started attempt {@code attempt} of {@code node}. */
    private static long startOf(List<String> audit, String node, int attempt) {
        return audit.stream().map(a -> a.split("\\|")).filter(f -> f[0].equals("S") && f[1].equals(node) && f[2].equals(Integer.toString(attempt)))
                .mapToLong(f -> Long.parseLong(f[4])).min().orElseThrow(() -> new AssertionError("no attempt " + attempt + " of " + node + ": " + audit));
    }

    private static long finishOf(List<String> audit, String node) {
        return audit.stream().map(a -> a.split("\\|")).filter(f -> f[0].equals("F") && f[1].equals(node))
                .mapToLong(f -> Long.parseLong(f[4])).min().orElseThrow(() -> new AssertionError("no finished run of " + node + ": " + audit));
    }
}
