package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.job.Capacity;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.protocol.pipeline.Problem;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The submission's parts without any store: the checks, the pool routing and the encoding for the scripts. */
class SubmissionPartsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pipeline PIPELINE = new PipelineParser().parse("""
            name: parts
            parameters:
              n: {type: integer, default: 3}
              day: {type: string}
            dataNodes:
              seed: {}
              mid: {}
              out: {source: "results/${day}.txt"}
            processNodes:
              first: {input: [seed], output: [mid], processor: noop}
              second: {input: [mid], output: [out], processor: train, pool: gpu, retries: {max: 2}}
            """).pipeline();
    private static final PipelineGraph GRAPH = new PipelineGraph(PIPELINE);

    private static SubmitRequest request(Map<String, Object> params, Map<String, byte[]> inputs, List<String> outputs) {
        return new SubmitRequest(params, inputs, outputs, true);
    }

    @Test
    void theRequestChecksNameEveryProblemAndKeepWhatIsRight() {
        JobChecks.Checked c = JobChecks.request(PIPELINE, GRAPH, request(Map.of("n", "three", "nope", 1),
                Map.of("seed", "s".getBytes(StandardCharsets.UTF_8), "mid", "m".getBytes(StandardCharsets.UTF_8), "ghost", new byte[0]),
                List.of("out", "missing")));
        List<String> paths = c.problems().stream().map(Problem::path).sorted().toList();
        assertEquals(List.of("inputs.ghost", "inputs.mid", "outputs[1]", "parameters.day", "parameters.n", "parameters.nope"), paths);
        assertEquals(Set.of("seed"), c.inputs().keySet(), "a produced node is no job input");

        JobChecks.Checked ok = JobChecks.request(PIPELINE, GRAPH, request(Map.of("day", "mon"), Map.of(), List.of()));
        assertTrue(ok.problems().isEmpty(), ok.problems().toString());
        assertEquals("{day=mon, n=3}", new java.util.TreeMap<>(ok.params()).toString(), "the default filled in");
    }

    @Test
    void thePlanAndTheOutputSourcesAreChecked() {
        ExecutionPlan noSeed = GRAPH.plan(Set.of(), Set.of());
        assertEquals(List.of("processNodes.first.input"), JobChecks.plan(noSeed, List.of()).stream().map(Problem::path).toList());
        ExecutionPlan full = GRAPH.plan(Set.of(), Set.of("seed"));
        assertTrue(JobChecks.plan(full, List.of()).isEmpty());
        List<Problem> problems = new java.util.ArrayList<>();
        JobChecks.outputSources(PIPELINE, full.run(), Map.of(), "ann", false, problems);
        assertEquals(List.of("dataNodes.out.source"), problems.stream().map(Problem::path).toList(), "${day} has no value");
        problems.clear();
        assertEquals(Map.of("out", "owners/ann/results/mon.txt"),
                JobChecks.outputSources(PIPELINE, full.run(), Map.of("day", "mon"), "ann", false, problems), "in the owner's area");
        assertTrue(problems.isEmpty());
    }

    @Test
    void aParameterCannotLeadAnOutputOutOfItsAreaOrIntoTheSharedOne() {
        ExecutionPlan full = GRAPH.plan(Set.of(), Set.of("seed"));
        for (String day : List.of("../bob/x", "a\u0000b", "/etc/passwd", "x/./y")) {
            List<Problem> problems = new java.util.ArrayList<>();
            assertTrue(JobChecks.outputSources(PIPELINE, full.run(), Map.of("day", day), "ann", false, problems).isEmpty(), day);
            assertEquals(List.of("dataNodes.out.source"), problems.stream().map(Problem::path).toList(), day);
        }
    }

    @Test
    void infraRoutesDefaultPoolNodesToTheSmallestFittingPoolThatServesThem() {
        Infra twoCpus = new Infra(new BigDecimal(2), null, null);
        Map<String, Capacity> capacities = Map.of("default", Capacity.parse("cpu=1"), "big", Capacity.parse("cpu=8"),
                "medium", Capacity.parse("cpu=4"), "gpu", Capacity.parse("cpu=1"));
        List<Problem> problems = new ArrayList<>();
        Map<String, String> poolOf = PoolRouting.route(PIPELINE, List.of("first", "second"), Set.of(), twoCpus, capacities,
                (pool, processor) -> true, problems);
        assertEquals("medium", poolOf.get("first"), "best fit");
        assertEquals("gpu", poolOf.get("second"), "a node's own pool stays");
        assertEquals(List.of("processNodes.second.pool"), problems.stream().map(Problem::path).toList(), "gpu offers 1 cpu, not 2");

        assertTrue(PoolRouting.route(PIPELINE, List.of("first"), Set.of(), null, capacities, (p, q) -> true, problems).isEmpty(),
                "without infra every node keeps its pool");
    }

    @Test
    void aProcessorNoWorkerServesIsAProblemSayingWhetherThePoolIsConsumedAtAll() {
        List<Problem> problems = new ArrayList<>();
        PoolRouting.checkServed(PIPELINE, List.of("first", "second"), Set.of(), Map.of(), (pool, processor) -> pool.equals("default"),
                pool -> false, problems);
        assertEquals(1, problems.size());
        assertEquals("processNodes.second.processor", problems.get(0).path());
        assertTrue(problems.get(0).message().endsWith("(no worker consumes that pool)"), problems.get(0).message());
        problems.clear();
        PoolRouting.checkServed(PIPELINE, List.of("second"), Set.of("second"), Map.of(), (p, q) -> false, pool -> true, problems);
        assertTrue(problems.isEmpty(), "a reused node does not run");
    }

    @Test
    void theJobAndItsTaskTableAreEncodedForTheScripts() throws Exception {
        ExecutionPlan plan = GRAPH.plan(Set.of(), Set.of("seed"));
        SubmitRequest request = request(Map.of(), Map.of(), List.of())
                .withMeta(JobMeta.NONE.withName("nightly").withOwner("ann"));
        JsonNode job = JobEncoding.jobFields(new JobId("mxc4pxrt3ghwyzwbcvqt"), "parts", 2, PIPELINE, Map.of("day", "mon"), request,
                plan, null);
        assertEquals("nightly", job.get("name").asText());
        assertEquals(Priority.MEDIUM.wireName(), job.get("priority").asText(), "no priority given: medium");
        assertEquals("ann", job.get("owner").asText());
        assertFalse(job.has("run"));

        JobEncoding encoding = new JobEncoding(PIPELINE, GRAPH, plan.run(), Set.of(), Map.of("first", "small"),
                Map.of("out", "results/mon.txt"), null, true);
        JsonNode table = JSON.readTree(encoding.taskTable(plan.run()));
        assertEquals(2, table.size());
        JsonNode first = table.get(0);
        assertEquals("small", first.get("pool").asText(), "the routed pool");
        assertEquals("[\"second\"]", first.get("ch").toString());
        assertEquals("[]", first.get("pa").toString(), "chunked: parents listed");
        JsonNode second = table.get(1);
        assertEquals("gpu", second.get("pool").asText());
        assertEquals(2, second.get("max").asInt());
        assertEquals("{\"out\":\"results/mon.txt\"}", second.get("sink").asText());
    }

    @Test
    void aJobIsKeptForItsPipelinesRetentionElseTheInstallations() {
        java.time.Duration installation = java.time.Duration.ofDays(7);
        assertEquals(installation, JobEncoding.retention(PIPELINE, installation), "no retention of its own");
        Pipeline kept = new PipelineParser().parse("""
                retention: 2d
                dataNodes: {a: {}, b: {}}
                processNodes:
                  t: {input: [a], output: [b], processor: noop}
                """).pipeline();
        assertEquals(java.time.Duration.ofDays(2), JobEncoding.retention(kept, installation));
        assertEquals(java.time.Duration.ofDays(2), JobEncoding.retention(kept, java.time.Duration.ofSeconds(1)),
                "shorter or longer: the pipeline's own wins");
    }
}
