package dev.pipewright.protocol.render;

import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.parse.PipelineParser;

/** Pipelines shared by the render tests. */
final class Pipelines {
    private Pipelines() {
    }

    /** a: raw -> x; b: x -> y; c: x, extra -> z; side: raw2 -> report. */
    static final String BRANCHY = """
            name: branchy
            dataNodes:
              raw:
                source: in/${day}/raw.csv
              raw2:
              extra:
              x:
              y:
              z:
              report:
            parameters:
              day: {type: string, default: "2024-01-01"}
            processNodes:
              a: {input: [raw], output: [x], processor: identity}
              b: {input: [x], output: [y], processor: identity}
              c: {input: [x, extra], output: [z], processor: concat}
              side: {input: [raw2], output: [report], processor: identity}
            """;

    static PipelineGraph graph(String yaml) {
        PipelineParser.Result r = new PipelineParser().parse(yaml);
        if (!r.valid()) {
            throw new AssertionError(r.problems().toString());
        }
        return new PipelineGraph(r.pipeline());
    }
}
