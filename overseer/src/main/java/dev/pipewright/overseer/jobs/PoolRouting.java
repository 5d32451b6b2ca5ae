package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.job.Capacity;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.module.ModuleNames;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;

/**
 * Which pool each task of a job goes to, from what the live workers offer; pure: the submitter
 * reads the workers' capacities and processors and passes them in.
 */
final class PoolRouting {
    private PoolRouting() {
    }

    /**
     * Where each node's tasks go when the job asks for resources ({@code infra}): a node with a pool
     * of its own stays there if that pool offers them (else a problem); a node in the default pool
     * goes to the smallest pool that offers them and serves its processor (best fit, then by name).
     * Without infra every node keeps its pool (an empty map). Reused nodes do not run: not routed.
     *
     * @param capacities what each candidate pool offers (its largest live worker)
     * @param serves whether a pool serves a processor
     */
    static Map<String, String> route(Pipeline pipeline, List<String> nodes, Set<String> reuse, Infra infra,
                                     Map<String, Capacity> capacities, BiPredicate<String, String> serves, List<Problem> problems) {
        Map<String, String> out = new HashMap<>();
        if (infra == null || infra.toMap().isEmpty()) {
            return out;
        }
        String offered = capacities.isEmpty() ? "no pool has announced any capacity"
                : "pools offer: " + new TreeMap<>(capacities).entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue().describe() + ")").collect(Collectors.joining("; "));
        for (String node : nodes) {
            if (reuse.contains(node)) {
                continue;
            }
            ProcessNode p = pipeline.processNodes().get(node);
            if (!p.pool().equals(ProcessNode.DEFAULT_POOL)) {
                if (!capacities.getOrDefault(p.pool(), Capacity.NONE).fits(infra)) {
                    problems.add(new Problem("processNodes." + node + ".pool", "pool '" + p.pool() + "' does not offer what the job asks for ("
                            + infra.toMap() + "); " + offered));
                }
                out.put(node, p.pool());
                continue;
            }
            String best = capacities.entrySet().stream()
                    .filter(e -> e.getValue().fits(infra) && serves.test(e.getKey(), p.processor()))
                    .min(Comparator.<Map.Entry<String, Capacity>, Capacity>comparing(Map.Entry::getValue, Capacity::compareSize)
                            .thenComparing(Map.Entry::getKey))
                    .map(Map.Entry::getKey).orElse(null);
            if (best == null) {
                problems.add(new Problem("processNodes." + node + ".pool", "no pool whose workers serve processor '" + p.processor()
                        + "' offers what the job asks for (" + infra.toMap() + "); " + offered));
                out.put(node, p.pool());
            } else {
                out.put(node, best);
            }
        }
        return out;
    }

    /**
     * A problem for each node to run whose pool serves none of its processor. A processor some
     * worker announced for the pool is accepted while none is up (its tasks wait in the queue, and an
     * autoscaler sees them); one never announced is a mistake.
     *
     * @param consumed whether any live worker consumes the pool, or any ever announced processors for it
     */
    static void checkServed(Pipeline pipeline, List<String> nodes, Set<String> reuse, Map<String, String> poolOf,
                            BiPredicate<String, String> serves, java.util.function.Predicate<String> consumed, List<Problem> problems) {
        checkServed(pipeline, nodes, reuse, poolOf, serves, consumed, Set.of(), false, problems);
    }

    /**
     * Like the above; {@code moduleNodes} run an uploaded module (served by a worker with modules
     * enabled, which announces {@link ModuleNames#MODULES_PROCESSOR});
     * {@code modulesKnown}: the name of a processor nobody serves was also looked up as a module.
     */
    static void checkServed(Pipeline pipeline, List<String> nodes, Set<String> reuse, Map<String, String> poolOf,
                            BiPredicate<String, String> serves, java.util.function.Predicate<String> consumed, Set<String> moduleNodes,
                            boolean modulesKnown, List<Problem> problems) {
        for (String node : nodes) {
            if (reuse.contains(node)) {
                continue;
            }
            ProcessNode p = pipeline.processNodes().get(node);
            String pool = poolOf.getOrDefault(node, p.pool());
            if (problems.stream().anyMatch(pr -> pr.path().equals("processNodes." + node + ".pool")
                    || pr.path().equals("processNodes." + node + ".processor"))) {
                continue;
            }
            if (moduleNodes.contains(node)) {
                if (!serves.test(pool, ModuleNames.MODULES_PROCESSOR)) {
                    problems.add(new Problem("processNodes." + node + ".processor", "module '" + p.processor()
                            + "' needs a worker with modules enabled (PW_MODULES=on) in pool '" + pool + "'; none has announced itself"
                            + (consumed.test(pool) ? "" : " (no worker consumes that pool)")));
                }
            } else if (!serves.test(pool, p.processor())) {
                problems.add(new Problem("processNodes." + node + ".processor", "no worker serves processor '"
                        + p.processor() + "' in pool '" + pool + "'" + (consumed.test(pool) ? "" : " (no worker consumes that pool)")
                        + (modulesKnown ? ", and no module is named '" + p.processor() + "'" : "")));
            }
        }
    }
}
