package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Problem;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CombinationRulesTest {
    private static List<String> problems(String yaml) {
        return new PipelineParser().parse(yaml).problems().stream().map(Problem::toString).toList();
    }

    @Test
    void cacheIsRefusedWhereItemsOrUnproducedOutputsAreInvolved() {
        List<String> p = problems("""
                name: combos
                dataNodes: {seed: {}, list: {map: true}, item: {}, all: {}, maybe: {optional: true}, other: {optional: true}}
                processNodes:
                  split: {input: [seed], output: [list], processor: p, cache: true}
                  each: {input: [list], output: [item], processor: p, cache: true}
                  gather: {input: [item], output: [all], processor: p, collect: [item], cache: true}
                  route: {input: [seed], output: [maybe, other], processor: p, cache: true}
                """);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("processNodes.split.cache: cannot be memoised: its output 'list' is a mapped list")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("processNodes.each.cache: cannot be memoised: 'each' runs once per item of 'list'")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("processNodes.gather.cache: cannot be memoised: 'gather' collects")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("processNodes.route.cache: cannot be memoised: its output 'maybe' is optional")), p.toString());
    }

    @Test
    void aPerItemOutputCannotBeOptional() {
        List<String> p = problems("""
                name: combos
                dataNodes: {seed: {}, list: {map: true}, item: {optional: true}, all: {}}
                processNodes:
                  split: {input: [seed], output: [list], processor: p}
                  each: {input: [list], output: [item], processor: p}
                  gather: {input: [item], output: [all], processor: p, collect: [item]}
                """);
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("dataNodes.item.optional: 'item' is written once per item of 'list' by 'each'"), p.toString());
    }

    @Test
    void plainCacheAndPlainMapsPass() {
        assertEquals(List.of(), problems("""
                name: combos
                dataNodes: {seed: {}, list: {map: true}, item: {}, all: {}, clean: {}}
                processNodes:
                  prep: {input: [seed], output: [clean], processor: p, cache: true}
                  split: {input: [clean], output: [list], processor: p}
                  each: {input: [list], output: [item], processor: p}
                  gather: {input: [item], output: [all], processor: p, collect: [item]}
                """));
    }
}
