package dev.pipewright.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Pipeline;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCheckTest {
    private static final Pipeline CHAIN = new PipelineParser().parse(BenchShapes.w2("default").document()).pipeline();

    /** A SUCCESS job view of W2 where task i runs from 10*i+1 to 10*i+5 us. */
    private static ObjectNode goodJob() {
        ObjectNode job = JsonNodeFactory.instance.objectNode();
        job.put("status", "SUCCESS");
        ArrayNode tasks = job.putArray("tasks");
        for (int i = 0; i < 1000; i++) {
            ObjectNode t = tasks.addObject();
            t.put("node", String.format("c%04d", i));
            t.put("status", "SUCCESS");
            t.put("attempts", 1);
            t.put("started_us", 10L * i + 1);
            t.put("ended_us", 10L * i + 5);
        }
        return job;
    }

    @Test
    void aGoodJobPasses() {
        assertEquals(List.of(), BenchCheck.verify(goodJob(), CHAIN));
        long[] ended = BenchCheck.endedUs(goodJob(), BenchShapes.w2("default").chain());
        assertEquals(1000, ended.length);
        assertArrayEquals(new double[] {0.01, 0.01}, java.util.Arrays.copyOf(Percentiles.hopsMs(ended), 2));
    }

    @Test
    void findsEveryKindOfProblem() {
        ObjectNode job = goodJob();
        job.put("status", "FAILED");
        ArrayNode tasks = (ArrayNode) job.get("tasks");
        ((ObjectNode) tasks.get(3)).put("status", "FAILED");
        ((ObjectNode) tasks.get(4)).put("attempts", 2);
        ((ObjectNode) tasks.get(5)).put("started_us", 44L); // parent c0004 ended at 45
        tasks.remove(999);
        List<String> issues = BenchCheck.verify(job, CHAIN);
        assertEquals(5, issues.size(), issues.toString());
        assertTrue(issues.get(0).contains("job FAILED"));
        assertTrue(issues.get(1).contains("1 of 1000 tasks missing"));
        assertTrue(issues.get(2).contains("c0003 FAILED"));
        assertTrue(issues.get(3).contains("c0004 attempts 2"));
        assertTrue(issues.get(4).contains("c0005 started 1 us before c0004 ended"), issues.get(4));
    }

    @Test
    void rowsReadApartFromTheSummaryAreCheckedAlike() {
        ObjectNode job = goodJob();
        ObjectNode summary = JsonNodeFactory.instance.objectNode().put("status", "SUCCESS");
        List<com.fasterxml.jackson.databind.JsonNode> rows = new java.util.ArrayList<>();
        job.get("tasks").forEach(rows::add);
        assertEquals(List.of(), BenchCheck.verify(summary, rows, CHAIN));
        assertEquals(1000, BenchCheck.endedUs(rows, BenchShapes.w2("default").chain()).length);
        rows.add(rows.get(7)); // a page that repeats a task
        assertEquals(List.of("1 tasks listed more than once"), BenchCheck.verify(summary, rows, CHAIN));
    }

    @Test
    void missingConsumablesAreCountedWithAnExample() {
        assertEquals(null, BenchCheck.missingConsumables(java.util.Set.of("a", "b"), List.of("a", "b")));
        assertEquals("2 of 3 terminal consumables missing (e.g. b)",
                BenchCheck.missingConsumables(java.util.Set.of("a", "x"), List.of("a", "b", "c")));
    }

    private static ObjectNode summary(String id, String status, int succeeded, int total, Long created, Long started, Long finished) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("id", id);
        j.put("status", status);
        j.putObject("counts").put("total", total).put("succeeded", succeeded);
        if (created != null) {
            j.put("created_us", created);
        } else {
            j.putNull("created_us");
        }
        j.put("started_us", started);
        if (finished != null) {
            j.put("finished_us", finished);
        } else {
            j.putNull("finished_us");
        }
        return j;
    }

    @Test
    void manyJobsAreEachCheckedFromTheirSummary() {
        List<com.fasterxml.jackson.databind.JsonNode> good = List.of(
                summary("j1", "SUCCESS", 3, 3, 1_000_000L, 1_000_010L, 1_200_000L),
                summary("j2", "SUCCESS", 3, 3, 1_100_000L, 1_100_010L, 3_000_000L));
        assertEquals(List.of(), BenchCheck.verifyJobs(good, 3));
        assertEquals(2.0, BenchCheck.wallSeconds(good), 1e-9, "first created to last finished");
        List<com.fasterxml.jackson.databind.JsonNode> bad = List.of(
                summary("j1", "FAILED", 2, 3, 1L, 2L, 3L),
                summary("j2", "SUCCESS", 2, 2, 1L, 2L, 3L),
                summary("j3", "SUCCESS", 3, 3, 1L, 2L, null));
        List<String> issues = BenchCheck.verifyJobs(bad, 3);
        assertEquals(3, issues.size(), issues.toString());
        assertEquals("1 of 3 jobs not SUCCESS (e.g. j1 FAILED)", issues.get(0));
        assertEquals("2 jobs without 3/3 tasks succeeded (e.g. j1 2/3)", issues.get(1));
        assertEquals("1 jobs without created_us/finished_us", issues.get(2));
        assertTrue(Double.isNaN(BenchCheck.wallSeconds(bad)));
    }

    @Test
    void oneJobsWallIsFromItsStartToItsEnd() {
        assertEquals(0.5, BenchCheck.wallSeconds(List.of(summary("j", "SUCCESS", 1, 1, 10L, 1_000_000L, 1_500_000L))), 1e-9);
        assertTrue(Double.isNaN(BenchCheck.wallSeconds(List.of(summary("j", "RUNNING", 0, 1, 10L, 1_000_000L, null)))));
    }
}
