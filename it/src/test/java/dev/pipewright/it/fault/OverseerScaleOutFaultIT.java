package dev.pipewright.it.fault;

import dev.pipewright.it.support.Cluster;
import dev.pipewright.protocol.keys.JobId;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several overseers, each its own process, share the shards of one installation through leases in
 * Redis. A 5,000-task workload runs on two and on three of them; one is SIGKILLed mid-run, its
 * shards are taken over within the lease time, every job ends and the ledger is clean. The
 * negative control turns leases off (a fixed assignment): the dead overseer's shards are then
 * served by nobody, and the ledger sees it.
 */
class OverseerScaleOutFaultIT {
    private static final Pattern SERVED = Pattern.compile("pipewright_shard_served\\{[^}]*shard=\"(\\d+)\"[^}]*} 1\\.0");
    private static final Pattern EVENTS = Pattern.compile("pipewright_shard_events_total\\{[^}]*} ([0-9.E]+)");
    /** 50 tasks a job, 100 jobs. */
    private static final Workload WORK = new Workload("wide", 48, 2);
    private static final int JOBS = 100;

    @Test
    void twoOverseersShareTheWorkAndOneIsKilledMidRun() throws Exception {
        runAndKillOne(2);
    }

    @Test
    void threeOverseersShareTheWorkAndOneIsKilledMidRun() throws Exception {
        runAndKillOne(3);
    }

    private static void runAndKillOne(int overseers) throws Exception {
        try (ProcessCluster cluster = ProcessCluster.builder().overseers(overseers).workers(2).concurrency(8).shards(6)
                .setting("PW_SHARD_LEASE", "2s").start()) {
            awaitShares(cluster, overseers);
            Ledger ledger = new Ledger(WORK);
            List<String> ids = submitAll(cluster, WORK, JOBS, ledger);
            // every overseer answers for every job, whichever overseer serves its shard
            int victim = overseers - 1;
            for (String id : ids.subList(0, 10)) {
                HttpResponse<String> r = cluster.getFrom(victim, "/api/v1/jobs/" + id);
                assertEquals(200, r.statusCode(), String.valueOf(r.body()));
            }
            Cluster.await("a third of the tasks to be done", Duration.ofMinutes(2), () -> doneTasks(cluster, ids) >= JOBS * WORK.tasksPerJob() / 3);
            Set<Integer> victimShards = served(cluster.overseerMetrics(victim));
            double victimEvents = events(cluster.overseerMetrics(victim));
            cluster.killOverseer(victim);
            long killedAt = System.nanoTime();
            assertFalse(victimShards.isEmpty(), "the killed overseer served shards");
            Cluster.await("the killed overseer's shards to be served again", Duration.ofSeconds(30), () -> {
                Set<Integer> all = new TreeSet<>();
                for (int i = 0; i < overseers - 1; i++) {
                    all.addAll(served(cluster.overseerMetrics(i)));
                }
                return all.size() == cluster.shards();
            });
            double takeover = (System.nanoTime() - killedAt) / 1e9;
            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(4));
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            StringBuilder load = new StringBuilder();
            for (int i = 0; i < overseers - 1; i++) {
                double e = events(cluster.overseerMetrics(i));
                load.append(" overseer ").append(i).append(": ").append((long) e).append(" events");
                assertTrue(e > 0, "overseer " + i + " handled events");
            }
            System.out.println(overseers + " overseers, one killed: its shards " + victimShards + " (" + (long) victimEvents
                    + " events before the kill) served again after " + String.format("%.1f", takeover) + " s;" + load + "; "
                    + cluster.workerNote() + " " + report.summary());
            report.assertClean();
            assertTrue(ended, "every job ended");
            assertEquals(JOBS, report.jobs());
            assertTrue(victimEvents > 0, "the killed overseer had handled events of its shards");
        }
    }

    @Test
    void anOverseerJoinsMidRunAndTheFirstOneLeavesGracefully() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(8).shards(6)
                .setting("PW_SHARD_LEASE", "2s").start()) {
            assertEquals(6, served(cluster.overseerMetrics(0)).size(), "a lone overseer serves every shard");
            Ledger ledger = new Ledger(WORK);
            List<String> ids = submitAll(cluster, WORK, JOBS, ledger);
            int second = cluster.addOverseer();
            awaitShares(cluster, 2);
            Cluster.await("a third of the tasks to be done", Duration.ofMinutes(2), () -> doneTasks(cluster, ids) >= JOBS * WORK.tasksPerJob() / 3);
            cluster.stopOverseer(0);
            long stoppedAt = System.nanoTime();
            Cluster.await("the second overseer to serve every shard", Duration.ofSeconds(10),
                    () -> served(cluster.overseerMetrics(second)).size() == cluster.shards());
            double handover = (System.nanoTime() - stoppedAt) / 1e9;
            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(4));
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            for (int shard = 0; shard < cluster.shards(); shard++) {
                List<String> consumers = new ArrayList<>();
                for (Object info : cluster.redis().xinfoConsumers(cluster.keys().events(shard), "overseer")) {
                    List<?> pairs = (List<?>) info;
                    consumers.add(String.valueOf(pairs.get(pairs.indexOf("name") + 1)));
                }
                assertEquals(List.of("ov-" + cluster.namespace() + "-1"), consumers,
                        "shard " + shard + ": the overseer that left is no longer a consumer of the group");
            }
            System.out.println("an overseer joined mid-run, the first left (SIGTERM): every shard served by the second after "
                    + String.format("%.1f", handover) + " s; " + report.summary());
            report.assertClean();
            assertTrue(ended, "every job ended");
            assertEquals(JOBS, report.jobs());
        }
    }

    @Test
    void withLeasesOffADeadOverseersShardsAreServedByNobodyAndTheLedgerSeesIt() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.builder().overseers(2).workers(2).concurrency(8).shards(4)
                .setting("PW_SHARD_LEASE", "2s").setting("PW_SHARD_LEASES", "off")
                .overseerSetting(0, "PW_SHARDS_SERVED", "0-1").overseerSetting(1, "PW_SHARDS_SERVED", "2-3").start()) {
            assertEquals(Set.of(0, 1), served(cluster.overseerMetrics(0)));
            assertEquals(Set.of(2, 3), served(cluster.overseerMetrics(1)));
            // slow enough that no job ends before the kill
            Workload slow = new Workload("control", 4, 300);
            Ledger ledger = new Ledger(slow);
            List<String> ids = submitAll(cluster, slow, 24, ledger);
            cluster.killOverseer(1);
            assertFalse(ledger.awaitEnd(cluster, Duration.ofSeconds(15)), "the jobs of shards 2 and 3 cannot end");
            cluster.stopWorkers();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            System.out.println("leases off, overseer of shards 2-3 killed: " + report.summary());
            assertTrue(report.reports("completion events left unprocessed"), report.violations().toString());
            for (String id : ids) {
                int shard = new JobId(id).shard(cluster.shards());
                String status = cluster.redis().hget(cluster.keys().job(new JobId(id)), "status");
                if (shard < 2) {
                    assertEquals("SUCCESS", status, "job " + id + " of shard " + shard + " (served)");
                }
            }
            assertTrue(ids.stream().anyMatch(id -> new JobId(id).shard(4) >= 2), "some jobs landed on the unserved shards");
            assertTrue(report.violations().stream().noneMatch(v -> v.startsWith("shard 0:") || v.startsWith("shard 1:")),
                    "the served shards are clean: " + report.violations());
        }
    }

    /** Registers the workload's pipeline and submits {@code jobs} jobs of it, each told to the ledger; returns their ids. */
    private static List<String> submitAll(ProcessCluster cluster, Workload work, int jobs, Ledger ledger) {
        cluster.postPipeline(work.yaml());
        List<String> ids = new ArrayList<>();
        for (int n = 0; n < jobs; n++) {
            String id = cluster.submit(work.name(), work.body(n), Duration.ofSeconds(30));
            ledger.submitted(id);
            ids.add(id);
        }
        return ids;
    }

    private static void awaitShares(ProcessCluster cluster, int overseers) {
        int floor = cluster.shards() / overseers;
        Cluster.await("the overseers to share the shards", Duration.ofSeconds(60), () -> {
            Set<Integer> all = new TreeSet<>();
            for (int i = 0; i < overseers; i++) {
                Set<Integer> mine = served(cluster.overseerMetrics(i));
                if (mine.size() < floor) {
                    return false;
                }
                all.addAll(mine);
            }
            return all.size() == cluster.shards();
        });
    }

    private static long doneTasks(ProcessCluster cluster, List<String> ids) {
        long done = 0;
        for (String id : ids) {
            done += cluster.redis().scard(cluster.keys().job(new JobId(id)) + ":done");
        }
        return done;
    }

    /** The shards an overseer's /metrics say it serves. */
    static Set<Integer> served(String metrics) {
        Set<Integer> out = new TreeSet<>();
        Matcher m = SERVED.matcher(metrics);
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    /** The completion events an overseer applied, over all shards. */
    static double events(String metrics) {
        double sum = 0;
        Matcher m = EVENTS.matcher(metrics);
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }
}
