package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.pipeline.Priority;

import java.util.List;
import java.util.Map;

/**
 * A request to run a pipeline: parameter values, values of job-input data nodes, the wanted
 * outputs (empty: everything) and whether to start now or only build the job. A re-run from
 * failure names the earlier job ({@code reuseFrom}) and the process nodes whose outputs it
 * reuses ({@code reuse}); their outputs are then among {@code inputs}. {@code meta}: name, run, priority,
 * owner and infra of the job. {@code nodeConfig}: per process node, the override of its {@code config}
 * for this run ({@code config.nodes} of the request; empty: none). {@code cache}: whether the job takes
 * memoised results, and nodes it runs regardless.
 */
public record SubmitRequest(Map<String, Object> parameters, Map<String, byte[]> inputs, List<String> outputs, boolean start,
                            String reuseFrom, java.util.Set<String> reuse, JobMeta meta, Map<String, Map<String, Object>> nodeConfig,
                            dev.pipewright.overseer.cache.CachePlanner.Choice cache) {
    public SubmitRequest {
        meta = meta == null ? JobMeta.NONE : meta;
        nodeConfig = nodeConfig == null ? Map.of() : nodeConfig;
        cache = cache == null ? dev.pipewright.overseer.cache.CachePlanner.Choice.DEFAULT : cache;
    }

    public SubmitRequest(Map<String, Object> parameters, Map<String, byte[]> inputs, List<String> outputs, boolean start,
                         String reuseFrom, java.util.Set<String> reuse, JobMeta meta) {
        this(parameters, inputs, outputs, start, reuseFrom, reuse, meta, Map.of(), null);
    }

    /** The same request with these per-node config overrides. */
    public SubmitRequest withNodeConfig(Map<String, Map<String, Object>> nodeConfig) {
        return new SubmitRequest(parameters, inputs, outputs, start, reuseFrom, reuse, meta, nodeConfig, cache);
    }

    /** This request with what it asks of the cache ({@code cache: false}, {@code refresh: [nodes]}). */
    public SubmitRequest withCache(dev.pipewright.overseer.cache.CachePlanner.Choice cache) {
        return new SubmitRequest(parameters, inputs, outputs, start, reuseFrom, reuse, meta, nodeConfig, cache);
    }

    public SubmitRequest(Map<String, Object> parameters, Map<String, byte[]> inputs, List<String> outputs, boolean start) {
        this(parameters, inputs, outputs, start, null, java.util.Set.of(), JobMeta.NONE);
    }

    public SubmitRequest withMeta(JobMeta meta) {
        return new SubmitRequest(parameters, inputs, outputs, start, reuseFrom, reuse, meta, nodeConfig, cache);
    }
}
