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
}
