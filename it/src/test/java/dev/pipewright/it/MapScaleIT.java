package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.pipewright.it.support.Cluster;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A map of 100,000 items and its collect, run once to completion: a measurement, not a timed test.
 * It asserts only that the job succeeded with every item and the collect read them all in order,
 * and prints how long the expansion took (the group's {@code started} to its {@code expanded}, both
 * Redis's clock) and what the job view showed while it ran and at the end.
 */
class MapScaleIT {
    private static final int ITEMS = Integer.getInteger("pw.map.items", 100_000);

    @Test
    void aHundredThousandItems() throws Exception {
        try (Cluster cluster = Cluster.builder().workers(1).concurrency(16).start()) {
            cluster.postPipeline("""
                    name: scale
                    dataNodes: {seed: {}, items: {map: true}, out: {}, all: {}}
                    processNodes:
                      split: {input: [seed], output: [items], processor: identity}
                      each: {input: [items], output: [out], processor: identity}
                      gather: {input: [out], collect: [out], output: [all], processor: identity}
                    """);
            ArrayNode list = Cluster.JSON.createArrayNode();
            for (int i = 0; i < ITEMS; i++) {
                list.addObject().put("k", i);
            }
            long t0 = System.nanoTime();
            String job = cluster.submit("scale", Cluster.JSON.createObjectNode()
                    .set("inputs", Cluster.JSON.createObjectNode().put("seed", list.toString())).toString());
            JsonNode mid = null;
            while (true) {
                JsonNode v = cluster.job(job);
                if (v.path("finished").asBoolean()) {
                    break;
                }
                long done = v.path("counts").path("succeeded").asLong();
                if (mid == null && done > ITEMS / 10) {
                    mid = v;
                    System.out.println("map scale: mid-run view " + v.path("progress") + " counts " + v.path("counts")
                            + " stage(" + v.path("stage").size() + ") items " + Cluster.task(v, "each").path("items"));
                }
                Cluster.sleep(500);
            }
            long wallMs = (System.nanoTime() - t0) / 1_000_000;
            JsonNode end = cluster.job(job);
            assertEquals("SUCCESS", end.path("status").asText(), end.path("counts").toString());
            assertEquals(3 + ITEMS, end.path("counts").path("total").asInt());
            assertEquals(list, Cluster.JSON.readTree(cluster.consumableText(job, "all")));
            RedisCommands<String, String> redis = cluster.redis();
            var g = redis.hmget(cluster.taskKey(job, "each"), "started", "expanded", "ended");
            long started = Long.parseLong(g.get(0).getValue());
            long expanded = Long.parseLong(g.get(1).getValue());
            long ended = Long.parseLong(g.get(2).getValue());
            JsonNode gather = Cluster.task(end, "gather");
            System.out.println("map scale: items=" + ITEMS + " expansion_ms=" + (expanded - started) / 1000 + " items_done_ms="
                    + (ended - started) / 1000 + " collect_ms=" + (gather.path("ended_us").asLong() - gather.path("started_us").asLong()) / 1000
                    + " job_ms=" + end.path("duration_ms") + " wall_ms=" + wallMs);
            System.out.println("map scale: end view progress=" + end.path("progress") + " counts=" + end.path("counts")
                    + " tasks=" + end.path("tasks").size() + " each.items=" + Cluster.task(end, "each").path("items")
                    + " view bytes=" + end.toString().length());
        }
    }
}
