package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Problem;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Which nodes run per item, and the misuses of {@code map}/{@code collect} the validator refuses with their locations. */
class MapPlanTest {
    private final PipelineParser parser = new PipelineParser();

    private static final String CHAIN = """
            name: chain
            dataNodes: {seed: {}, items: {map: true}, a: {}, b: {}, all: {}, other: {}}
            processNodes:
              split: {input: [seed], output: [items], processor: identity}
              one: {input: [items, seed], output: [a], processor: identity}
              two: {input: [a], output: [b], processor: identity}
              gather: {input: [b, seed], collect: [b], output: [all], processor: identity}
              whole: {input: [items], collect: [items], output: [other], processor: identity}
            """;

    private List<Problem> problems(String yaml) {
        PipelineParser.Result r = parser.parse(yaml);
        return r.problems();
    }

    private void assertProblem(String yaml, String path, String word) {
        List<Problem> problems = problems(yaml);
        if (problems.stream().noneMatch(p -> p.path().equals(path) && p.message().contains(word))) {
            fail("no problem at '" + path + "' with '" + word + "'; got:\n  "
                    + problems.stream().map(Problem::toString).collect(Collectors.joining("\n  ")));
        }
    }

    @Test
    void aChainRunsPerItemUntilTheCollect() {
        PipelineParser.Result r = parser.parse(CHAIN);
        assertTrue(r.valid(), r.problems().toString());
        MapPlan plan = new MapPlan(r.pipeline());
        assertEquals(new MapPlan.Mapped("items", List.of("items")), plan.mapped("one"), "seed is read whole by every item");
        assertEquals(new MapPlan.Mapped("items", List.of("a")), plan.mapped("two"));
        assertNull(plan.mapped("gather"));
        assertNull(plan.mapped("whole"), "collecting the list itself reads it whole");
        assertNull(plan.mapped("split"));
    }

    @Test
    void collectOfADataNodeThatIsNotMapped() {
        assertProblem("""
                name: p
                dataNodes: {seed: {}, y: {}, z: {}}
                processNodes:
                  a: {input: [seed], output: [y], processor: identity}
                  x: {input: [y], collect: [y], output: [z], processor: identity}
                """, "processNodes.x.collect[0]", "'y' is not a mapped data node");
    }

    @Test
    void collectOfAMappedDataNodeTheNodeDoesNotRead() {
        assertProblem("""
                name: p
                dataNodes: {seed: {}, items: {map: true}, z: {}}
                processNodes:
                  a: {input: [seed], output: [items], processor: identity}
                  x: {input: [seed], collect: [items], output: [z], processor: identity}
                """, "processNodes.x.collect[0]", "'items' is not an input of 'x'");
    }

    @Test
    void aMapOfAMapIsRefused() {
        assertProblem("""
                name: p
                dataNodes: {seed: {}, items: {map: true}, inner: {map: true}}
                processNodes:
                  a: {input: [seed], output: [items], processor: identity}
                  x: {input: [items], output: [inner], processor: identity}
                """, "processNodes.x.output[0]", "a map of a map is not supported");
    }

    @Test
    void twoListsWithoutCollectAreRefused() {
        assertProblem("""
                name: p
                dataNodes: {seed: {}, l1: {map: true}, l2: {map: true}, z: {}}
                processNodes:
                  a: {input: [seed], output: [l1, l2], processor: identity}
                  x: {input: [l1, l2], output: [z], processor: identity}
                """, "processNodes.x.input", "two mapped lists (l1, l2)");
    }

    @Test
    void aPerItemOutputWithASourceIsRefused() {
        assertProblem("""
                name: p
                dataNodes: {seed: {}, items: {map: true}, z: {source: out/z.txt}}
                processNodes:
                  a: {input: [seed], output: [items], processor: identity}
                  x: {input: [items], output: [z], processor: identity}
                """, "dataNodes.z.source", "per-item output");
    }

    @Test
    void aMappedJobInputIsRefused() {
        assertProblem("""
                name: p
                dataNodes: {items: {map: true}, z: {}}
                processNodes:
                  x: {input: [items], output: [z], processor: identity}
                """, "dataNodes.items.map", "must be the output of a process node");
    }
}
