package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.pipewright.it.support.Cluster;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dynamic fan-out on real services: a node reading a mapped list runs once per item (tasks
 * {@code node[i]}), a chain of per-item nodes runs per item too, and a collecting node runs once
 * with the items' values in order; an empty list runs no item and collects {@code []}; an item
 * that fails follows its node's retries, and one that fails for good fails the job and skips the
 * collect.
 */
class MapIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(8).start();
        cluster.postPipeline("""
                name: fanout
                dataNodes:
                  seed: {}
                  items: {map: true}
                  doubled: {}
                  tagged: {}
                  all: {}
                processNodes:
                  split:
                    input: [seed]
                    output: [items]
                    processor: identity
                  first:
                    input: [items]
                    output: [doubled]
                    processor: identity
                  second:
                    input: [doubled]
                    output: [tagged]
                    processor: concat
                    config: {separator: ""}
                  gather:
                    input: [tagged]
                    collect: [tagged]
                    output: [all]
                    processor: identity
                """);
        cluster.postPipeline("""
                name: slowmap
                dataNodes: {seed: {}, items: {map: true}, out: {}, all: {}}
                processNodes:
                  split: {input: [seed], output: [items], processor: identity}
                  each: {input: [items], output: [out], processor: sleep, config: {ms: 3000}}
                  gather: {input: [out], collect: [out], output: [all], processor: identity}
                """);
        for (int times : new int[]{1, 9}) {
            cluster.postPipeline("""
                    name: flaky%d
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
                        processor: fail
                        config: {times: %d}
                        retries: {max: 2, initial: 50ms}
                      gather: {input: [out], collect: [out], output: [all], processor: identity}
                    """.formatted(times, times));
        }
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String submitList(String pipeline, ArrayNode list, String params) {
        return cluster.submit(pipeline, "{\"inputs\": {\"seed\": " + Cluster.JSON.valueToTree(list.toString()) + "}"
                + (params == null ? "" : ", \"params\": " + params) + "}");
    }

    @Test
    void eachItemRunsOnceThroughAChainAndTheCollectReadsThemInOrder() throws Exception {
        int n = 600; // more than two expansion chunks
        ArrayNode list = Cluster.JSON.createArrayNode();
        for (int i = 0; i < n; i++) {
            list.addObject().put("k", i).put("name", "item-" + i);
        }
        String job = submitList("fanout", list, null);
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view.toPrettyString());
        JsonNode all = Cluster.JSON.readTree(cluster.consumableText(job, "all"));
        assertEquals(list, all, "the collect reads every item's value, in the list's order");

        RedisCommands<String, String> redis = cluster.redis();
        for (String node : new String[]{"first", "second"}) {
            for (int i = 0; i < n; i++) {
                var t = redis.hmget(cluster.taskKey(job, node + "[" + i + "]"), "state", "commits", "attempts");
                assertEquals("SUCCESS", t.get(0).getValue(), node + "[" + i + "]");
                assertEquals("1", t.get(1).getValue(), node + "[" + i + "] committed once");
            }
            assertEquals("SUCCESS", redis.hget(cluster.taskKey(job, node), "state"));
        }
        // the job counts its items: 4 nodes and 2 × n items; the view sums a group's items in its row
        int total = 4 + 2 * n;
        assertEquals(total, view.path("counts").path("total").asInt(), view.toPrettyString());
        assertEquals(total + "/" + total, view.path("progress").asText());
        assertEquals(4, view.path("tasks").size(), "item tasks are not inline: " + view.path("tasks"));
        JsonNode items = Cluster.task(view, "first").path("items");
        assertEquals(n, items.path("count").asInt(), items.toString());
        assertEquals(n, items.path("written").asInt(), items.toString());
        assertEquals(n, items.path("states").path("SUCCESS").asInt(), items.toString());
        assertEquals(1, items.path("states").size(), items.toString());
        // and pages of /tasks list them
        JsonNode page = cluster.get("/api/v1/jobs/" + job + "/tasks?page_size=1000").json();
        assertTrue(page.toString().contains("\"node\":\"first[599]\""), page.toString().substring(0, 300));
    }

    @Test
    void aCancelMidExpansionStopsTheGroupAndItsItemsAndTheJobEnds() throws Exception {
        ArrayNode list = Cluster.JSON.createArrayNode();
        for (int i = 0; i < 20_000; i++) {
            list.add(i);
        }
        String job = submitList("slowmap", list, null);
        RedisCommands<String, String> redis = cluster.redis();
        String group = cluster.taskKey(job, "each");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        // cancel once items run and the expansion has begun
        while (redis.hget(group, "next") == null || Long.parseLong(redis.hget(group, "next")) == 0
                || !"RUNNING".equals(redis.hget(cluster.taskKey(job, "each[0]"), "state"))) {
            assertTrue(System.nanoTime() < deadline, "the expansion did not begin");
            Cluster.sleep(5);
        }
        long writtenAtCancel = Long.parseLong(redis.hget(group, "next"));
        Cluster.Response r = cluster.post("/api/v1/jobs/" + job + "/cancel", "", "application/json");
        assertEquals(202, r.status(), r.toString());
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("CANCELLED", view.path("status").asText(), view.toPrettyString());
        assertEquals("CANCELLED", redis.hget(group, "state"));
        assertEquals("CANCELLED", redis.hget(cluster.taskKey(job, "each[0]"), "state"), "a running item is stopped");
        assertEquals("CANCELLED", redis.hget(cluster.taskKey(job, "gather"), "state"));
        long written = Long.parseLong(redis.hget(group, "next"));
        assertTrue(written < 20_000, "the cancel came mid-expansion: " + written + " written (" + writtenAtCancel + " as it was sent)");
        assertEquals(3 + written, view.path("counts").path("total").asLong(), view.path("counts").toString());
        assertEquals(view.path("counts").path("total").asLong(), view.path("counts").path("cancelled").asLong()
                + view.path("counts").path("succeeded").asLong(), view.path("counts").toString());
        assertEquals(null, redis.zscore(cluster.keys().timers(cluster.shardOf(job)), "m|" + job + "|each"));
        // and no later chunk writes any more
        Cluster.sleep(1_500);
        assertEquals(written, Long.parseLong(redis.hget(group, "next")));
        assertEquals(0, redis.exists(cluster.taskKey(job, "each[" + written + "]")));

        // deleting the job removes every item's keys too
        Cluster.Response deleted = cluster.as(cluster.adminToken(), "DELETE", "/api/v1/jobs/" + job, null);
        assertEquals(200, deleted.status(), deleted.toString());
        String match = cluster.keys().job(new dev.pipewright.protocol.keys.JobId(job)).replace("[", "\\[") + "*";
        long until = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            int left = 0;
            io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
            do {
                io.lettuce.core.KeyScanCursor<String> page = redis.scan(cursor, io.lettuce.core.ScanArgs.Builder.matches(match).limit(5000));
                left += page.getKeys().size();
                cursor = page;
            } while (!cursor.isFinished());
            if (left == 0) {
                break;
            }
            assertTrue(System.nanoTime() < until, left + " keys of the deleted job remain");
            Cluster.sleep(200);
        }
    }

    @Test
    void aListThatIsNotAJsonArrayFailsItsMappedNode() {
        String job = cluster.submit("fanout", "{\"inputs\": {\"seed\": \"{\\\"not\\\": \\\"a list\\\"}\"}}");
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view.toPrettyString());
        JsonNode first = Cluster.task(view, "first");
        assertEquals("FAILED", first.path("status").asText());
        assertTrue(first.path("error").asText().contains("'items' is not a JSON array"), first.toString());
        assertEquals("SKIPPED", Cluster.task(view, "second").path("status").asText());
        assertEquals("SKIPPED", Cluster.task(view, "gather").path("status").asText());
    }

    @Test
    void validateRefusesMisuseWithLocations() {
        String doc = """
                name: misuse
                dataNodes:
                  seed: {}
                  plain: {}
                  l1: {map: true}
                  l2: {map: true}
                  inner: {map: true}
                  z: {}
                  w: {}
                  sunk: {source: out/sunk.txt}
                processNodes:
                  a: {input: [seed], output: [plain, l1, l2], processor: identity}
                  notmapped: {input: [plain], collect: [plain], output: [z], processor: identity}
                  notread: {input: [seed], collect: [l1], output: [w], processor: identity}
                  zip: {input: [l1, l2], output: [inner], processor: identity}
                  sink: {input: [l1], output: [sunk], processor: identity}
                """;
        Cluster.Response r = cluster.post("/api/v1/pipelines/validate", doc, "application/yaml");
        assertEquals(200, r.status(), r.toString());
        String problems = r.json().path("problems").toString();
        for (String expected : new String[]{
                "processNodes.notmapped.collect[0]", "'plain' is not a mapped data node",
                "processNodes.notread.collect[0]", "'l1' is not an input of 'notread'",
                "processNodes.zip.input", "two mapped lists (l1, l2)",
                "dataNodes.sunk.source", "per-item output"}) {
            assertTrue(problems.contains(expected), expected + " in " + problems);
        }
        Cluster.Response posted = cluster.post("/api/v1/pipelines", doc, "application/yaml");
        assertEquals(400, posted.status(), posted.toString());
        assertTrue(posted.text().contains("processNodes.notmapped.collect[0]"), posted.text());
        // a map of a map is refused where the per-item node writes the inner list
        Cluster.Response nested = cluster.post("/api/v1/pipelines/validate", """
                name: nested
                dataNodes: {seed: {}, l1: {map: true}, inner: {map: true}}
                processNodes:
                  a: {input: [seed], output: [l1], processor: identity}
                  b: {input: [l1], output: [inner], processor: identity}
                """, "application/yaml");
        assertTrue(nested.json().path("problems").toString().contains("processNodes.b.output[0]"), nested.text());
        assertTrue(nested.json().path("problems").toString().contains("a map of a map is not supported"), nested.text());
    }

    @Test
    void itemsRunWithinTheProcessorsConcurrencyLimit() {
        ArrayNode list = Cluster.JSON.createArrayNode();
        for (int i = 0; i < 12; i++) {
            list.add(i);
        }
        assertEquals(200, cluster.as(cluster.adminToken(), "PUT", "/api/v1/admin/limits/processor/sleep", "{\"max\": 3}").status());
        try {
            cluster.postPipeline("""
                    name: limitedmap
                    dataNodes: {seed: {}, items: {map: true}, out: {}, all: {}}
                    processNodes:
                      split: {input: [seed], output: [items], processor: identity}
                      each: {input: [items], output: [out], processor: sleep, config: {ms: 300}}
                      gather: {input: [out], collect: [out], output: [all], processor: identity}
                    """);
            String job = submitList("limitedmap", list, null);
            RedisCommands<String, String> redis = cluster.redis();
            int most = 0;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!cluster.job(job).path("finished").asBoolean()) {
                assertTrue(System.nanoTime() < deadline, "the job did not end");
                int running = 0;
                for (int i = 0; i < 12; i++) {
                    running += "RUNNING".equals(redis.hget(cluster.taskKey(job, "each[" + i + "]"), "state")) ? 1 : 0;
                }
                most = Math.max(most, running);
                Cluster.sleep(20);
            }
            assertEquals("SUCCESS", cluster.job(job).path("status").asText());
            assertTrue(most <= 3, most + " items ran at once under a limit of 3 (the worker takes 8)");
            assertTrue(most >= 2, "items ran in parallel: at most " + most + " at once");
        } finally {
            cluster.as(cluster.adminToken(), "DELETE", "/api/v1/admin/limits/processor/sleep", null);
        }
    }

    @Test
    void aRetryOrRunOfAMappedJobExpandsTheListAgain() throws Exception {
        ArrayNode list = Cluster.JSON.createArrayNode();
        for (int i = 0; i < 5; i++) {
            list.add("v" + i);
        }
        // every item fails for good: the group fails, the collect is skipped, the job fails
        String failed = submitList("flaky9", list, null);
        assertEquals("FAILED", cluster.awaitJob(failed, TIMEOUT).path("status").asText());
        // /retry reuses the split list, runs the group's items again (they fail again) and refuses nothing
        Cluster.Response retry = cluster.post("/api/v1/jobs/" + failed + "/retry", "", "application/json");
        assertEquals(202, retry.status(), retry::toString);
        JsonNode again = cluster.awaitJob(retry.json().path("id").asText(), TIMEOUT);
        assertEquals("FAILED", again.path("status").asText(), again::toPrettyString);
        assertEquals("SUCCESS", Cluster.task(again, "split").path("status").asText());
        assertEquals(5, Cluster.task(again, "each").path("items").path("count").asInt(), again::toPrettyString);

        String ok = submitList("fanout", list, null);
        assertEquals("SUCCESS", cluster.awaitJob(ok, TIMEOUT).path("status").asText());
        // /run of an ended job runs it from scratch; /retry of a succeeded one reuses what it can
        for (String action : new String[]{"run", "retry"}) {
            Cluster.Response r = cluster.post("/api/v1/jobs/" + ok + "/" + action, "", "application/json");
            assertEquals(202, r.status(), r::toString);
            String id = r.json().path("id").asText();
            JsonNode view = cluster.awaitJob(id, TIMEOUT);
            assertEquals("SUCCESS", view.path("status").asText(), action + ": " + view.toPrettyString());
            assertEquals(cluster.consumableText(ok, "all"), cluster.consumableText(id, "all"), action);
        }
    }

    @Test
    void anEmptyListRunsNoItemAndCollectsAnEmptyArray() throws Exception {
        String job = submitList("fanout", Cluster.JSON.createArrayNode(), null);
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view.toPrettyString());
        assertEquals("[]", cluster.consumableText(job, "all"));
        assertEquals(0, cluster.redis().exists(cluster.taskKey(job, "first[0]")));
    }

    @Test
    void aFailedItemFollowsItsRetries() throws Exception {
        ArrayNode list = Cluster.JSON.createArrayNode();
        for (int i = 0; i < 20; i++) {
            list.add(i);
        }
        String job = submitList("flaky1", list, null);
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view.toPrettyString());
        assertEquals(list, Cluster.JSON.readTree(cluster.consumableText(job, "all")));
        for (int i = 0; i < 20; i++) {
            assertEquals("2", cluster.redis().hget(cluster.taskKey(job, "each[" + i + "]"), "attempts"));
        }
    }

    @Test
    void anItemThatFailsForGoodFailsTheJobAndSkipsTheCollect() throws Exception {
        ArrayNode list = Cluster.JSON.createArrayNode();
        for (int i = 0; i < 5; i++) {
            list.add(i);
        }
        String job = submitList("flaky9", list, null);
        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view.toPrettyString());
        RedisCommands<String, String> redis = cluster.redis();
        assertEquals("FAILED", redis.hget(cluster.taskKey(job, "each"), "state"));
        assertEquals("SKIPPED", redis.hget(cluster.taskKey(job, "gather"), "state"));
        for (int i = 0; i < 5; i++) {
            assertEquals("3", redis.hget(cluster.taskKey(job, "each[" + i + "]"), "attempts"), "1 try and 2 retries");
        }
        assertTrue(redis.hget(cluster.taskKey(job, "each"), "error").contains("5 of 5 items"));
    }
}
