package dev.pipewright.overseer.cache;

import dev.pipewright.protocol.cache.CacheEntry;
import dev.pipewright.protocol.cache.CacheKey;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CachePlannerTest {
    private static final Pipeline PIPELINE = new PipelineParser().parse("""
            name: p
            dataNodes: {a: {}, b: {}, xa: {}, xb: {}, ab: {}, out: {}, side: {}}
            processNodes:
              prepA: {input: [a], output: [xa], processor: step, cache: true}
              prepB: {input: [b], output: [xb], processor: step, cache: true}
              join: {input: [xa, xb], output: [ab], processor: step, cache: true}
              final: {input: [ab], output: [out], processor: step, cache: true}
              plain: {input: [a], output: [side], processor: step}
            """).pipeline();
    private static final PipelineGraph GRAPH = new PipelineGraph(PIPELINE);
    private static final Map<String, CacheStore.ProcessorInfo> STEP = Map.of("step", new CacheStore.ProcessorInfo("v1", true));

    private static TaskSpec spec(String node) {
        ProcessNode p = PIPELINE.processNodes().get(node);
        return new TaskSpec(p.processor(), p.config(), p.input(), p.output(), 0);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** An entry for the node with these input values, its outputs the given text. */
    private static void store(Map<String, CacheEntry> entries, String node, List<String> inputValues, String output, String job) {
        TaskSpec s = spec(node);
        String key = CacheKey.of("step", "v1", s.config(), s.inputs(), s.outputs(),
                inputValues.stream().map(v -> CacheKey.sha256(b(v))).toList(), null);
        entries.put(key, new CacheEntry(key, "p", node, job, "step", "v1", 0, Long.MAX_VALUE,
                List.of(new CacheEntry.Output(s.outputs().get(0), b(output), "text/plain", CacheKey.sha256(b(output))))));
    }

    private static CachePlanner.Resolution resolve(Map<String, byte[]> inputs, CachePlanner.Choice choice, Map<String, CacheEntry> entries,
                                                   Map<String, CacheStore.ProcessorInfo> processors) throws Exception {
        return CachePlanner.resolve("p", PIPELINE, GRAPH, GRAPH.topologicalOrder(), GRAPH.topologicalOrder(), CachePlannerTest::spec,
                inputs, Map.of(), processors, Map.of(), choice, Set.of(), entries::get);
    }

    private static Map<String, String> marks(CachePlanner.Resolution r) {
        Map<String, String> out = new LinkedHashMap<>();
        r.view().forEach(v -> out.put(v.node(), CachePlanner.marks(v.availability(), v.execution())));
        return out;
    }

    @Test
    void hitsChainThroughTheStoredOutputDigests() throws Exception {
        Map<String, CacheEntry> entries = new HashMap<>();
        store(entries, "prepA", List.of("A"), "xa1", "j1");
        store(entries, "prepB", List.of("B"), "xb1", "j1");
        store(entries, "join", List.of("xa1", "xb1"), "ab1", "j1");
        store(entries, "final", List.of("ab1"), "out1", "j1");
        CachePlanner.Resolution r = resolve(Map.of("a", b("A"), "b", b("B")), CachePlanner.Choice.DEFAULT, entries, STEP);
        assertEquals(Set.of("prepA", "prepB", "join", "final"), r.hits().keySet());
        assertEquals("[x] (H)", marks(r).get("plain"), "no cache: it runs; its output is read by nobody");
        assertEquals("[*] ( )", marks(r).get("final"));
        assertEquals(4, r.specs().size(), "every cacheable node gets its pins, hit or not");
        assertNull(r.specs().get("prepA").params());
    }

    @Test
    void aChangedInputRunsItsBranchAndEverythingDownstream() throws Exception {
        Map<String, CacheEntry> entries = new HashMap<>();
        store(entries, "prepA", List.of("A"), "xa1", "j1");
        store(entries, "prepB", List.of("B"), "xb1", "j1");
        CachePlanner.Resolution r = resolve(Map.of("a", b("A"), "b", b("C")), CachePlanner.Choice.DEFAULT, entries, STEP);
        assertEquals(Set.of("prepA"), r.hits().keySet());
        Map<String, String> m = marks(r);
        assertEquals("[*] ( )", m.get("prepA"));
        assertEquals("[ ] (>)", m.get("prepB"));
        assertEquals("[ ] (>)", m.get("join"), "its input xb has no digest before prepB runs");
        assertEquals("[ ] (H)", m.get("final"));
        assertNull(r.view().get(GRAPH.topologicalOrder().indexOf("join")).key());
    }

    @Test
    void aNodeOrderedAfterOneThatRunsIsNotTakenAtSubmit() throws Exception {
        // prepB runs after plain (no data between them): taken at submit, it would end before plain ran
        Pipeline ordered = new PipelineParser().parse("""
                name: p
                dataNodes: {a: {}, b: {}, xb: {}, side: {}}
                processNodes:
                  plain: {input: [a], output: [side], processor: step}
                  prepB: {input: [b], output: [xb], processor: step, cache: true, after: [plain]}
                """).pipeline();
        PipelineGraph graph = new PipelineGraph(ordered);
        Map<String, CacheEntry> entries = new HashMap<>();
        store(entries, "prepB", List.of("B"), "xb1", "j1");
        CachePlanner.Resolution r = CachePlanner.resolve("p", ordered, graph, graph.topologicalOrder(), graph.topologicalOrder(),
                node -> {
                    ProcessNode p = ordered.processNodes().get(node);
                    return new TaskSpec(p.processor(), p.config(), p.input(), p.output(), 0);
                }, Map.of("a", b("A"), "b", b("B")), Map.of(), STEP, Map.of(), CachePlanner.Choice.DEFAULT, Set.of(), entries::get);
        assertTrue(r.hits().isEmpty(), r.hits().toString());
        assertEquals("[*] (H)", marks(r).get("prepB"), "its result is there; its worker takes it once plain has run");
    }

    @Test
    void refreshAndNoCacheRunButStillShowTheStoredResult() throws Exception {
        Map<String, CacheEntry> entries = new HashMap<>();
        store(entries, "prepA", List.of("A"), "xa1", "j1");
        Map<String, byte[]> in = Map.of("a", b("A"), "b", b("B"));
        CachePlanner.Resolution refreshed = resolve(in, new CachePlanner.Choice(true, Set.of("prepA")), entries, STEP);
        assertTrue(refreshed.hits().isEmpty());
        assertEquals("[*] (>)", marks(refreshed).get("prepA"));
        CachePlanner.Resolution off = resolve(in, new CachePlanner.Choice(false, Set.of()), entries, STEP);
        assertTrue(off.hits().isEmpty());
        assertEquals("[*] (>)", marks(off).get("prepA"));
    }

    @Test
    void nonDeterministicOrUnannouncedProcessorsHaveNoCache() throws Exception {
        Map<String, CacheEntry> entries = new HashMap<>();
        store(entries, "prepA", List.of("A"), "xa1", "j1");
        Map<String, byte[]> in = Map.of("a", b("A"), "b", b("B"));
        CachePlanner.Resolution unknown = resolve(in, CachePlanner.Choice.DEFAULT, entries, Map.of());
        assertTrue(unknown.hits().isEmpty());
        assertTrue(unknown.specs().isEmpty());
        assertEquals("[x] (>)", marks(unknown).get("prepA"));
        Map<String, CacheStore.ProcessorInfo> random = Map.of("step", new CacheStore.ProcessorInfo("v1", false));
        assertTrue(resolve(in, CachePlanner.Choice.DEFAULT, entries, random).hits().isEmpty());
        assertEquals(List.of("processNodes.final.cache", "processNodes.join.cache", "processNodes.prepA.cache", "processNodes.prepB.cache"),
                CachePlanner.nonDeterministic(PIPELINE, random).stream().map(p -> p.path()).sorted().toList());
        assertTrue(CachePlanner.nonDeterministic(PIPELINE, STEP).isEmpty());
    }

    @Test
    void anotherVersionIsAMiss() throws Exception {
        Map<String, CacheEntry> entries = new HashMap<>();
        store(entries, "prepA", List.of("A"), "xa1", "j1");
        Map<String, CacheStore.ProcessorInfo> v2 = Map.of("step", new CacheStore.ProcessorInfo("v2", true));
        assertTrue(resolve(Map.of("a", b("A"), "b", b("B")), CachePlanner.Choice.DEFAULT, entries, v2).hits().isEmpty());
    }
}
