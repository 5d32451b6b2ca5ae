package dev.pipewright.it.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 10,000-item map and collect through worker SIGKILLs, and through an overseer SIGKILLed
 * mid-expansion (the next one resumes it from the stored index: every item task written once): every item ran to a commit exactly once
 * (proven from the audit processors' own record, which no script writes: each item's committing
 * attempt is a run that finished on the worker the task names, and an item ran again only where a
 * lost lease explains it), no item beyond the list ran, and the collect received every item's value
 * in the list's order. The control: the same check on that record with one item's finish taken out
 * reports it.
 */
class MapKillFaultIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ITEMS = 10_000;
    private static final String PIPELINE = """
            name: mapkill
            dataNodes:
              seed: {}
              items: {map: true}
              out: {}
              all: {}
            processNodes:
              split: {input: [seed], output: [items], processor: identity}
              each:
                input: [items]
                output: [out]
                processor: audit.sleep
                config: {ms: 3}
              gather: {input: [out], collect: [out], output: [all], processor: identity}
            """;

    @Test
    void tenThousandItemsMapAndCollectThroughWorkerKills() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (ProcessCluster cluster = ProcessCluster.builder().workers(3).concurrency(8).lease("2s").start()) {
            cluster.postPipeline(PIPELINE);
            ArrayNode list = JSON.createArrayNode();
            for (int i = 0; i < ITEMS; i++) {
                list.addObject().put("k", i).put("s", Long.toHexString(random.nextLong()));
            }
            String body = JSON.createObjectNode().set("inputs", JSON.createObjectNode().put("seed", list.toString())).toString();
            String job = cluster.submit("mapkill", body, Duration.ofSeconds(30));

            int kills = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
            JsonNode view;
            while (true) {
                view = ProcessCluster.json(cluster.get("/api/v1/jobs/" + job + "?tasks=false"));
                if (view.path("finished").asBoolean(false)) {
                    break;
                }
                assertTrue(System.nanoTime() < deadline, "the job did not end: " + view);
                long done = view.path("counts").path("succeeded").asLong();
                // kill while items run: a few kills spread over the run
                if (kills < 4 && done > 500L * (kills + 1) * (kills + 1)) {
                    int victim = random.nextInt(cluster.workerCount());
                    cluster.killWorker(victim);
                    kills++;
                    cluster.awaitWorkerListed(cluster.startWorker(victim));
                }
                Thread.sleep(200);
            }
            cluster.stopWorkers();
            assertEquals("SUCCESS", view.path("status").asText(), view.toString());
            assertTrue(kills >= 2, "the kills hit the run: " + kills);

            RedisClusterCommands<String, String> redis = cluster.redis();
            List<String> audit = cluster.audit().lrange(AuditProcessors.key(cluster.namespace(), job), 0, -1);
            Map<Integer, Map<String, String>> tasks = new HashMap<>();
            for (int i = 0; i < ITEMS; i++) {
                tasks.put(i, redis.hgetall(cluster.keys().task(new dev.pipewright.protocol.keys.JobId(job), "each[" + i + "]")));
            }
            Check check = check(audit, tasks);
            System.out.println("map kills: seed=" + seed + " kills=" + kills + " " + cluster.workerNote() + " runs=" + check.runs
                    + " reruns=" + check.reruns + " lostLeases=" + check.lost);
            assertEquals(List.of(), check.violations.subList(0, Math.min(20, check.violations.size())));
            assertTrue(check.lost > 0, "the kills cut running items short (lost leases): " + check.lost);

            // the collect received every item's value, in the list's order
            String all = cluster.get("/api/v1/jobs/" + job + "/consumables/all").body();
            assertEquals(list, JSON.readTree(all));
            assertEquals(3 + ITEMS, view.path("counts").path("total").asInt(), "3 nodes and the items: " + view);
            assertEquals((3 + ITEMS) + "/" + (3 + ITEMS), view.path("progress").asText());

            // the control: a record missing one item's finish is reported
            List<String> tampered = new ArrayList<>(audit);
            int victimItem = random.nextInt(ITEMS);
            tampered.removeIf(e -> e.startsWith("F|each[" + victimItem + "]|"));
            assertTrue(check(tampered, tasks).violations.stream().anyMatch(v -> v.contains("each[" + victimItem + "]")),
                    "the check sees an item whose run did not finish");
        }
    }

    @Test
    void anOverseerKilledMidExpansionResumesItWithoutDoublingOrLosingItems() throws Exception {
        Random random = new Random(System.nanoTime());
        try (ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(8).lease("2s").start()) {
            cluster.postPipeline(PIPELINE);
            ArrayNode list = JSON.createArrayNode();
            for (int i = 0; i < ITEMS; i++) {
                list.addObject().put("k", i).put("s", Long.toHexString(random.nextLong()));
            }
            String body = JSON.createObjectNode().set("inputs", JSON.createObjectNode().put("seed", list.toString())).toString();
            String job = cluster.submit("mapkill", body, Duration.ofSeconds(30));
            dev.pipewright.protocol.keys.JobId id = new dev.pipewright.protocol.keys.JobId(job);
            RedisClusterCommands<String, String> redis = cluster.redis();
            String group = cluster.keys().task(id, "each");
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            long writtenAtKill;
            while (true) {
                String next = redis.hget(group, "next");
                if (next != null && Long.parseLong(next) >= 1_000) {
                    cluster.killOverseer();
                    writtenAtKill = Long.parseLong(redis.hget(group, "next"));
                    break;
                }
                assertTrue(System.nanoTime() < deadline, "the expansion did not begin");
                Thread.sleep(5);
            }
            assertTrue(writtenAtKill < ITEMS, "the overseer died mid-expansion: " + writtenAtKill + " written");
            cluster.startOverseer();
            JsonNode view = awaitEnd(cluster, job, Duration.ofMinutes(6));
            cluster.stopWorkers();
            assertEquals("SUCCESS", view.path("status").asText(), view.toString());
            assertEquals(Long.toString(ITEMS), redis.hget(group, "next"));
            // every item task written once: the task list holds each name once, and nothing beyond the list
            List<String> nodes = redis.lrange(cluster.keys().nodes(id), 0, -1);
            assertEquals(3 + ITEMS, nodes.size());
            assertEquals(3 + ITEMS, new java.util.HashSet<>(nodes).size());
            assertEquals(0, redis.exists(cluster.keys().task(id, "each[" + ITEMS + "]")));
            List<String> audit = cluster.audit().lrange(AuditProcessors.key(cluster.namespace(), job), 0, -1);
            Map<Integer, Map<String, String>> tasks = new HashMap<>();
            for (int i = 0; i < ITEMS; i++) {
                tasks.put(i, redis.hgetall(cluster.keys().task(id, "each[" + i + "]")));
            }
            Check check = check(audit, tasks);
            System.out.println("map overseer kill: written at kill=" + writtenAtKill + " runs=" + check.runs + " reruns=" + check.reruns);
            assertEquals(List.of(), check.violations.subList(0, Math.min(20, check.violations.size())));
            assertEquals(list, JSON.readTree(cluster.get("/api/v1/jobs/" + job + "/consumables/all").body()));
        }
    }

    private static JsonNode awaitEnd(ProcessCluster cluster, String job, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode view = ProcessCluster.json(cluster.get("/api/v1/jobs/" + job + "?tasks=false"));
            if (view != null && view.path("finished").asBoolean(false)) {
                return view;
            }
            assertTrue(System.nanoTime() < deadline, "the job did not end: " + view);
            Thread.sleep(250);
        }
    }

    /** What the audit record says against the tasks' hashes. */
    record Check(List<String> violations, long runs, long reruns, long lost) {
    }

    /**
     * Each item: its hash says SUCCESS, committed once, by attempt a on worker w; the record has a
     * finished run of attempt a on w; it started no more runs than 1 + its lost leases, failures and
     * hand-backs explain; and no record names an item outside the list.
     */
    static Check check(List<String> audit, Map<Integer, Map<String, String>> tasks) {
        Map<String, Set<String>> started = new HashMap<>();
        Map<String, Set<String>> finished = new HashMap<>();
        Map<String, Integer> failed = new HashMap<>();
        List<String> violations = new ArrayList<>();
        long runs = 0;
        for (String e : audit) {
            String[] f = e.split("\\|");
            String node = f[1];
            if (!node.startsWith("each[")) {
                continue;
            }
            int i = Integer.parseInt(node.substring(5, node.length() - 1));
            if (i < 0 || i >= tasks.size()) {
                violations.add("a run of an item outside the list: " + e);
            }
            switch (f[0]) {
                case "S" -> {
                    started.computeIfAbsent(node, k -> new TreeSet<>()).add(f[2] + "@" + f[3]);
                    runs++;
                }
                case "F" -> finished.computeIfAbsent(node, k -> new TreeSet<>()).add(f[2] + "@" + f[3]);
                case "E" -> failed.merge(node, 1, Integer::sum);
                default -> {
                }
            }
        }
        long reruns = 0;
        long lost = 0;
        for (int i = 0; i < tasks.size(); i++) {
            String node = "each[" + i + "]";
            Map<String, String> t = tasks.get(i);
            if (!"SUCCESS".equals(t.get("state")) || !"1".equals(t.get("commits"))) {
                violations.add(node + ": state " + t.get("state") + ", commits " + t.get("commits"));
                continue;
            }
            String committed = t.get("attempts") + "@" + t.get("worker");
            if (!finished.getOrDefault(node, Set.of()).contains(committed)) {
                violations.add(node + ": committed by attempt " + committed + ", which the record never saw finish: "
                        + finished.get(node));
            }
            int explained = 1 + Integer.parseInt(t.getOrDefault("lost", "0")) + Integer.parseInt(t.getOrDefault("handbacks", "0"))
                    + failed.getOrDefault(node, 0);
            int ran = started.getOrDefault(node, Set.of()).size();
            if (ran > explained) {
                violations.add(node + ": ran " + ran + " times, " + explained + " explained: " + started.get(node));
            }
            reruns += Math.max(0, ran - 1);
            lost += Long.parseLong(t.getOrDefault("lost", "0"));
        }
        return new Check(violations, runs, reruns, lost);
    }
}
