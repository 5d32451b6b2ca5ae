package dev.pipewright.it.fault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.OwnRedisCluster;
import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipewright on a Redis Cluster: three masters with a replica each ({@link OwnRedisCluster}), two
 * overseers and two workers as processes given the cluster's seed nodes in {@code PW_REDIS_URI}.
 * The scenarios run in order on the same system: a fan-out pipeline's jobs, whose keys land on every
 * master; a run's counters; a cancel; a schedule fired once by two overseers; ended jobs removed
 * (retention and DELETE); a processor limit of 2 held across shards on different masters; and last,
 * a master SIGKILLed in the middle of a workload of 100 jobs, its replica promoted by the cluster.
 *
 * <p>At the end the {@link Ledger} judges every job still held (the earlier scenarios' too): each
 * ended, nothing was committed, released or written twice, and the plumbing is empty. As in
 * {@link RedisFailoverFaultIT}, a master that dies may take its last writes with it (replication is
 * asynchronous), so the only findings allowed are the reruns such a loss explains, of a task that had
 * run before the kill, and an accepted job is allowed to be lost only if it was answered around the kill.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterIT {
    /** head → 4 branches → join: a fan-out and fan-in of six tasks per job. */
    private static final Workload FAN = new Workload("cluster-fan", 4, 10);
    private static final Workload GATED = new Workload("cluster-gated", 2, 10).gatedBranches();
    private static final Workload LIMITED = new Workload("cluster-limited", 3, 150);
    private static final Workload FAILOVER = new Workload("cluster-failover", 4, 100);
    private static final int FAILOVER_JOBS = 100;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private OwnRedisCluster redis;
    private ProcessCluster cluster;
    /** Judges, at the end, every job the system holds; each scenario registers its own. */
    private final Ledger ledger = new Ledger(FAILOVER);
    private long started;

    @BeforeAll
    void start() throws Exception {
        started = System.currentTimeMillis();
        try {
            redis = OwnRedisCluster.start();
        } catch (Exception | AssertionError e) {
            throw new AssertionError("the Redis Cluster this test needs could not be started (redis-server and redis-cli "
                    + "must be on the PATH): " + e.getMessage(), e);
        }
        cluster = ProcessCluster.builder().overseers(2).workers(2).concurrency(4)
                .redisCluster(redis.seedUris())
                // the audit record must survive the loss of a master: on the machine's own Redis
                .auditRedis(TestServices.redisUri())
                .setting("PW_SCHEDULE_INTERVAL", "200ms")
                .setting("PW_RETENTION_INTERVAL", "500ms")
                .setting("PW_STUCK_READY_AFTER", "5s")
                .start();
        System.out.printf("redis cluster IT: cluster and processes up in %.1f s%n", (System.currentTimeMillis() - started) / 1e3);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (redis != null) {
                redis.close();
            }
        }
        System.out.printf("redis cluster IT: %.1f s in all%n", (System.currentTimeMillis() - started) / 1e3);
    }

    @Test
    @Order(1)
    void aFanOutPipelinesJobsSucceedAndTheirKeysSpreadOverEveryMaster() throws Exception {
        cluster.postPipeline(FAN.yaml());
        // jobs until every shard has one: the four shards' slots lie on all three masters
        Map<Integer, String> byShard = new TreeMap<>();
        List<String> jobs = new ArrayList<>();
        for (int n = 0; byShard.size() < cluster.shards() && n < 40; n++) {
            String id = submit(FAN, n);
            byShard.putIfAbsent(new JobId(id).shard(cluster.shards()), id);
            jobs.add(id);
        }
        assertEquals(cluster.shards(), byShard.size(), "jobs in every shard: " + byShard);
        for (int n = 0; n < jobs.size(); n++) {
            String id = jobs.get(n);
            assertEquals("SUCCESS", awaitEnd(id), "job " + id);
            HttpResponse<String> joined = cluster.get("/api/v1/jobs/" + id + "/consumables/joined");
            assertEquals(200, ProcessCluster.status(joined), () -> String.valueOf(joined == null ? null : joined.body()));
            assertEquals(FAN.expected(FAN.seed(n)).get("joined"), joined.body(), "the fan-in's output of job " + id);
            ledger.submitted(id);
            ledger.expectContent(id, FAN.expected(FAN.seed(n)));
        }

        Keys keys = cluster.keys();
        StatefulRedisClusterConnection<String, String> direct = cluster.direct().clusterConnection();
        List<RedisClusterNode> masters = masters(direct);
        assertEquals(3, masters.size(), "masters in the client's topology");
        for (RedisClusterNode master : masters) {
            RedisClusterCommands<String, String> node = direct.getConnection(master.getNodeId()).sync();
            List<String> jobKeys = node.keys(keys.namespace() + ":{s*}:job:*");
            assertFalse(jobKeys.isEmpty(), "master " + master.getUri() + " holds job keys of its shards");
            // the overseers and workers loaded the function library on every master, not only on one
            assertTrue(hasLibrary(node), "master " + master.getUri() + " has the function library");
        }

        // a master that lost the library (restarted empty, or added later) gets it back at the first call that misses it
        int shard = 2;
        RedisClusterNode master = direct.getPartitions().getMasterBySlot(SlotHash.getSlot(keys.jobIndex(shard)));
        RedisClusterCommands<String, String> node = direct.getConnection(master.getNodeId()).sync();
        node.functionFlush(io.lettuce.core.FlushMode.SYNC);
        assertFalse(hasLibrary(node));
        String onIt = null;
        for (int n = 300; onIt == null && n < 340; n++) {
            String id = submit(FAN, n);
            ledger.submitted(id);
            ledger.expectContent(id, FAN.expected(FAN.seed(n)));
            if (new JobId(id).shard(cluster.shards()) == shard) {
                onIt = id;
            }
        }
        assertTrue(onIt != null, "a job in shard " + shard);
        assertEquals("SUCCESS", awaitEnd(onIt));
        assertTrue(hasLibrary(node), "the library was loaded again on master " + master.getUri());
    }

    private static boolean hasLibrary(RedisClusterCommands<String, String> node) {
        return node.functionList("pipewright_*").stream().anyMatch(l -> String.valueOf(l.get("library_name")).startsWith("pipewright_"));
    }

    @Test
    @Order(2)
    void aRunCountsItsJobs() {
        HttpResponse<String> made = cluster.post("/api/v1/runs", "{\"pipeline_id\": \"" + FAN.name() + "\", \"name\": \"on a cluster\"}",
                "application/json");
        assertEquals(201, ProcessCluster.status(made), () -> made == null ? "no answer" : made.body());
        String run = ProcessCluster.json(made).path("id").asText();
        List<String> jobs = new ArrayList<>();
        for (int n = 100; n < 103; n++) {
            HttpResponse<String> r = cluster.post("/api/v1/runs/" + run + "/jobs", FAN.body(n), "application/json");
            assertEquals(202, ProcessCluster.status(r), () -> r == null ? "no answer" : r.body());
            String id = ProcessCluster.json(r).path("id").asText();
            jobs.add(id);
            ledger.submitted(id);
            ledger.expectContent(id, FAN.expected(FAN.seed(n)));
        }
        jobs.forEach(id -> assertEquals("SUCCESS", awaitEnd(id), "job " + id));
        // the run's keys share the tag {run:<id>}; its jobs' hashes live in their shards' slots
        JsonNode view = ProcessCluster.json(cluster.get("/api/v1/runs/" + run));
        assertEquals(3, view.path("num_jobs").asInt(), view::toString);
        assertEquals(3, view.path("num_successful_jobs").asInt(), view::toString);
        assertEquals(0, view.path("num_running_jobs").asInt(), view::toString);
        assertEquals("COMPLETED", view.path("status").asText(), view::toString);
    }

    @Test
    @Order(3)
    void aCancelledJobEndsCancelledAndDispatchesNothingMore() throws Exception {
        cluster.postPipeline(GATED.yaml());
        String id = submit(GATED, 0);
        ledger.submitted(id);
        ledger.expect(id, Set.of("CANCELLED"));
        // its branches wait at their gate, which nobody opens
        Cluster.await("job " + id + "'s branches to run", WAIT, () -> {
            JsonNode job = ProcessCluster.json(cluster.get("/api/v1/jobs/" + id + "?tasks=false"));
            return job != null && job.path("counts").path("running").asInt() == GATED.width();
        });
        HttpResponse<String> cancel = cluster.post("/api/v1/jobs/" + id + "/cancel", "", "application/json");
        assertEquals(202, ProcessCluster.status(cancel), () -> cancel == null ? "no answer" : cancel.body());
        assertEquals("CANCELLED", awaitEnd(id));
        Map<String, String> job = cluster.redis().hgetall(cluster.keys().job(new JobId(id)));
        assertEquals(job.get("seq"), job.get("stopSeq"), "nothing was dispatched after the cancel: " + job);
    }

    @Test
    @Order(4)
    void aDueScheduleFiresOnceThoughTwoOverseersRunTheScheduler() throws Exception {
        // a relative source is read in its owner's area of the data store (the admin's: the test's token)
        Path area = Files.createDirectories(cluster.dataDir().resolve(DataPaths.area("admin")));
        Files.writeString(area.resolve("cluster-sched.txt"), "scheduled on a cluster");
        cluster.postPipeline("""
                name: cluster-sched
                dataNodes:
                  src: {source: cluster-sched.txt}
                  out: {}
                processNodes:
                  copy: {input: [src], output: [out], processor: audit.concat}
                schedule: "0 0 1 1 *"
                """);
        Keys keys = cluster.keys();
        RedisClusterCommands<String, String> direct = cluster.redis();
        // due now, as the scheduler finds a schedule whose time has come (both keys carry the tag {sched})
        List<String> time = direct.time();
        long now = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        direct.hset(keys.schedule("cluster-sched"), "next", Long.toString(now - 1000));
        direct.zadd(keys.schedules(), now - 1000, "cluster-sched");

        Cluster.await("the schedule to fire", WAIT, () -> scheduledJobs("cluster-sched").size() == 1);
        String id = scheduledJobs("cluster-sched").get(0);
        assertEquals("SUCCESS", awaitEnd(id));
        ledger.submitted(id);
        ledger.expectContent(id, Map.of("out", "scheduled on a cluster"));
        Cluster.sleep(1500); // several rounds of both schedulers
        assertEquals(List.of(id), scheduledJobs("cluster-sched"), "one job for the one fire time");
        assertEquals(id, direct.hget(keys.schedule("cluster-sched"), "last_job"));
        assertTrue(Double.valueOf(direct.zscore(keys.schedules(), "cluster-sched")) > now, "the next fire time is a later one");
    }

    @Test
    @Order(5)
    void endedJobsAreRemovedWholeByTheRetentionSweepAndByDelete() throws Exception {
        cluster.postPipeline("""
                name: cluster-brief
                retention: 2s
                dataNodes: {seed: {}, out: {}}
                processNodes:
                  t: {input: [seed], output: [out], processor: audit.sleep}
                """);
        HttpResponse<String> made = cluster.post("/api/v1/runs", "{\"pipeline_id\": \"cluster-brief\"}", "application/json");
        String run = ProcessCluster.json(made).path("id").asText();
        HttpResponse<String> submitted = cluster.post("/api/v1/runs/" + run + "/jobs", "{\"inputs\": {\"seed\": \"x\"}}", "application/json");
        assertEquals(202, ProcessCluster.status(submitted), () -> submitted == null ? "no answer" : submitted.body());
        String expiring = ProcessCluster.json(submitted).path("id").asText();
        String deleted = submit(FAN, 200);
        assertEquals("SUCCESS", awaitEnd(expiring));
        assertEquals("SUCCESS", awaitEnd(deleted));

        HttpResponse<String> delete = cluster.delete("/api/v1/jobs/" + deleted);
        assertEquals(200, ProcessCluster.status(delete), () -> delete == null ? "no answer" : delete.body());
        // the retention sweep of the overseer serving the job's shard removes the other: its run, pipeline and shard keys
        Cluster.await("job " + expiring + " to expire", WAIT, () -> ProcessCluster.status(cluster.get("/api/v1/jobs/" + expiring)) == 404);
        assertEquals(404, ProcessCluster.status(cluster.get("/api/v1/jobs/" + deleted)));
        for (String id : List.of(expiring, deleted)) {
            Cluster.await("every key of job " + id + " to be gone from every master", WAIT, () -> keysNaming(id).isEmpty());
        }
        JsonNode view = ProcessCluster.json(cluster.get("/api/v1/runs/" + run));
        assertEquals(1, view.path("num_successful_jobs").asInt(), "the run still counts its removed job: " + view);
    }

    @Test
    @Order(6)
    void aProcessorLimitHoldsAcrossShardsOnEveryMaster() throws Exception {
        cluster.postPipeline(LIMITED.yaml());
        HttpResponse<String> set = cluster.put("/api/v1/admin/limits/processor/audit.sleep", "{\"max\": 2}");
        assertEquals(200, ProcessCluster.status(set), () -> set == null ? "no answer" : set.body());
        Map<String, Integer> jobs = new LinkedHashMap<>();
        Set<Integer> shards = new HashSet<>();
        for (int n = 0; (jobs.size() < 6 || shards.size() < cluster.shards()) && n < 40; n++) {
            String id = submit(LIMITED, n);
            jobs.put(id, n);
            shards.add(new JobId(id).shard(cluster.shards()));
        }
        int mostInUse = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!jobs.keySet().stream().allMatch(id -> Ledger.terminal(status(id))) && System.nanoTime() < deadline) {
            JsonNode limits = ProcessCluster.json(cluster.get("/api/v1/admin/limits"));
            if (limits != null) {
                for (JsonNode l : limits.path("limits")) {
                    mostInUse = Math.max(mostInUse, l.path("in_use").asInt());
                }
            }
            Cluster.sleep(100);
        }
        for (Map.Entry<String, Integer> e : jobs.entrySet()) {
            assertEquals("SUCCESS", status(e.getKey()), "job " + e.getKey() + " of the limited pipeline");
            ledger.submitted(e.getKey());
            ledger.expectContent(e.getKey(), LIMITED.expected(LIMITED.seed(e.getValue())));
        }
        assertTrue(mostInUse <= 2, "slots in use seen: " + mostInUse);
        // what the processors themselves recorded: never more than two audit.sleep runs at once, whatever shard
        int mostRunning = mostAtOnce(jobs.keySet(), "join");
        assertTrue(mostRunning <= 2, "audit.sleep ran " + mostRunning + " at once under a limit of 2");
        assertEquals(2, mostRunning, "the limit was reached: tasks of several jobs contended for it");
        HttpResponse<String> removed = cluster.delete("/api/v1/admin/limits/processor/audit.sleep");
        assertEquals(200, ProcessCluster.status(removed), () -> removed == null ? "no answer" : removed.body());
        System.out.println("redis cluster IT: limit 2 over " + jobs.size() + " jobs in " + shards.size() + " shards; at most "
                + mostRunning + " runs at once, " + mostInUse + " slots in use");
    }

    @Test
    @Order(7)
    void aMasterKilledMidRunLosesNoJobAndWritesNothingTwice() throws Exception {
        cluster.postPipeline(FAILOVER.yaml());
        Keys keys = cluster.keys();
        // the master of shard 0's slot (shard 1's too with four shards): the jobs in flight there lose their master
        int victim = masterPortOf(keys.events(0));
        List<String> accepted = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> submitFailed = new AtomicReference<>();
        Map<String, Long> answeredAt = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicInteger retried = new AtomicInteger();
        Thread submitter = Thread.ofPlatform().name("cluster-submitter").start(() -> {
            try {
                for (int n = 0; n < FAILOVER_JOBS; n++) {
                    String id = cluster.trySubmit(FAILOVER.name(), FAILOVER.body(n));
                    while (id == null) { // Redis unreachable for a moment: a 503, retried as a client would
                        retried.incrementAndGet();
                        Cluster.sleep(100);
                        id = cluster.trySubmit(FAILOVER.name(), FAILOVER.body(n));
                    }
                    accepted.add(id);
                    answeredAt.put(id, System.currentTimeMillis());
                    Cluster.sleep(30);
                }
            } catch (Throwable t) {
                submitFailed.set(t);
            }
        });
        Cluster.await("a third of the jobs submitted", WAIT, () -> accepted.size() >= FAILOVER_JOBS / 3 || submitFailed.get() != null);
        long killAt = System.currentTimeMillis();
        int acceptedBefore = accepted.size();
        int promoted = redis.killMaster(victim, Duration.ofSeconds(60));
        long failedOver = System.currentTimeMillis();
        int acceptedDuring = accepted.size() - acceptedBefore;
        submitter.join(Duration.ofSeconds(120).toMillis());
        assertFalse(submitter.isAlive(), "the submitter did not finish");
        if (submitFailed.get() != null) {
            throw new AssertionError("a submission was refused (a 503 is retried): " + submitFailed.get().getMessage(), submitFailed.get());
        }
        assertEquals(FAILOVER_JOBS, accepted.size(), "jobs accepted");
        Cluster.await("the test's own client to read every shard again", WAIT, () -> {
            try {
                for (int s = 0; s < keys.shards(); s++) {
                    cluster.redis().zcard(keys.jobIndex(s));
                }
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        });

        List<String> lost = new ArrayList<>();
        for (String id : accepted) {
            if (cluster.redis().exists(keys.job(new JobId(id))) == 0) {
                lost.add(id);
            } else {
                ledger.submitted(id);
            }
        }
        boolean ended = ledger.awaitEnd(cluster, Duration.ofSeconds(90));
        long endedAt = System.currentTimeMillis();
        cluster.stopWorkers();
        Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));

        Map<String, Integer> findings = new TreeMap<>();
        List<String> unexplained = new ArrayList<>();
        for (String v : report.violations()) {
            String category = RedisFailoverFaultIT.RERUN_FINDINGS.stream().filter(v::contains).findFirst().orElse(null);
            Matcher m = RedisFailoverFaultIT.TASK.matcher(v);
            if (category == null || !m.find() || !RedisFailoverFaultIT.ranBefore(cluster, m.group(1), m.group(2), killAt)) {
                unexplained.add(v);
            } else {
                findings.merge(category, 1, Integer::sum);
            }
        }
        String note = "redis cluster failover: master on " + victim + " killed, replica on " + promoted + " promoted in "
                + (failedOver - killAt) + " ms; jobs accepted before the kill=" + acceptedBefore + ", until the failover=" + acceptedDuring
                + "; accepted jobs lost=" + lost.size() + " of " + accepted.size()
                + "; submits retried=" + retried.get() + "; findings explained by the loss=" + findings
                + "; " + cluster.workerNote() + "; " + report.summary()
                + "; all ended " + (endedAt - failedOver) + " ms after the failover";
        System.out.println(note);
        if (!unexplained.isEmpty() || !ended) {
            System.out.println(cluster.logs());
        }
        assertTrue(ended, "some job did not end within 90 s of the failover: " + note);
        assertTrue(unexplained.isEmpty(), unexplained.size() + " ledger findings the failover does not explain:\n  "
                + String.join("\n  ", unexplained.subList(0, Math.min(40, unexplained.size()))) + "\n" + note);
        for (String id : lost) {
            long at = answeredAt.get(id);
            assertTrue(at >= killAt - 1000 && at <= failedOver, "job " + id + " was lost though it was answered at " + at
                    + ", not around the kill [" + killAt + ", " + failedOver + "]");
        }
    }

    // ---------------------------------------------------------------- helpers

    private String submit(Workload workload, int n) {
        return cluster.submit(workload.name(), workload.body(n), WAIT);
    }

    private String status(String id) {
        JsonNode job = ProcessCluster.json(cluster.get("/api/v1/jobs/" + id + "?tasks=false"));
        return job == null ? null : job.path("status").asText(null);
    }

    /** Waits for the job to end; its final status. */
    private String awaitEnd(String id) {
        Cluster.await("job " + id + " to end", WAIT, () -> Ledger.terminal(status(id)));
        return status(id);
    }

    private List<String> scheduledJobs(String pipeline) {
        JsonNode list = ProcessCluster.json(cluster.get("/api/v1/jobs?pipeline=" + pipeline + "&trigger=schedule"));
        List<String> out = new ArrayList<>();
        if (list != null) {
            list.path("jobs").forEach(j -> out.add(j.path("id").asText()));
        }
        return out;
    }

    private static List<RedisClusterNode> masters(StatefulRedisClusterConnection<String, String> connection) {
        List<RedisClusterNode> out = new ArrayList<>();
        for (RedisClusterNode n : connection.getPartitions()) {
            if (n.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                out.add(n);
            }
        }
        return out;
    }

    /** The keys naming this job, on any master (the cluster client's SCAN walks them all). */
    private List<String> keysNaming(String job) {
        List<String> out = new ArrayList<>();
        io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
        do {
            io.lettuce.core.KeyScanCursor<String> page = cluster.redis().scan(cursor,
                    io.lettuce.core.ScanArgs.Builder.matches(cluster.namespace() + ":*" + job + "*").limit(1000));
            out.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return out;
    }

    /** The port of the master that serves the slot of {@code key}, as the test's client sees the topology. */
    private int masterPortOf(String key) {
        RedisClusterNode node = cluster.direct().clusterConnection().getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
        return node.getUri().getPort();
    }

    /**
     * The most runs of the limited processor (every node but {@code unlimited}) under way at once, from
     * the processors' own record: each run from its start to its end, an end before a start at the same
     * millisecond (the next task is dispatched only after the end was committed and released).
     */
    private int mostAtOnce(Set<String> jobs, String unlimited) {
        List<long[]> edges = new ArrayList<>();
        for (String job : jobs) {
            for (String entry : cluster.audit().lrange(AuditProcessors.key(cluster.namespace(), job), 0, -1)) {
                String[] f = entry.split("\\|", 6);
                if (f.length < 5 || f[1].equals(unlimited)) {
                    continue;
                }
                long at = Long.parseLong(f[4]);
                switch (f[0]) {
                    case "S" -> edges.add(new long[] {at, 1});
                    case "F", "E", "I" -> edges.add(new long[] {at, -1});
                    default -> {
                        // not a start or an end
                    }
                }
            }
        }
        edges.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        int running = 0;
        int most = 0;
        for (long[] e : edges) {
            running += (int) e[1];
            most = Math.max(most, running);
        }
        return most;
    }
}
