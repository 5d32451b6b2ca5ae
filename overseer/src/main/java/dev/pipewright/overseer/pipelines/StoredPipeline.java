package dev.pipewright.overseer.pipelines;

import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.pipeline.Pipeline;

/** One version of a pipeline as stored: its parsed form, graph, source text and timestamps. */
public record StoredPipeline(String id, int version, Pipeline pipeline, PipelineGraph graph, String source,
                             long createdAt) {
}
