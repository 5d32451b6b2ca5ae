package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.List;

/**
 * Where two graph features meet in a way the engine does not support, the pipeline is refused
 * with the place rather than run wrongly:
 * <ul>
 *   <li>a memoised result is stored whole, per task: a node that runs once per item of a list, or
 *       collects items, or produces a list, or may leave an output unproduced cannot declare
 *       {@code cache} (a hit is resolved at submit, before any list exists, and an entry has no
 *       way to say "this output was not produced");</li>
 *   <li>an item's outputs are collected in order, one value per item: a per-item output cannot be
 *       optional.</li>
 * </ul>
 */
final class CombinationRules {
    private CombinationRules() {
    }

    static void check(Pipeline pipeline, MapPlan maps, List<Problem> problems) {
        for (ProcessNode node : pipeline.processNodes().values()) {
            MapPlan.Mapped mapped = maps.mapped(node.name());
            if (node.cache() != null) {
                String why = null;
                if (mapped != null) {
                    why = "'" + node.name() + "' runs once per item of '" + mapped.list() + "', and items are not memoised";
                } else if (!node.collect().isEmpty()) {
                    why = "'" + node.name() + "' collects the items of a list, which are not memoised";
                } else {
                    for (String out : node.output()) {
                        DataNode d = out == null ? null : pipeline.dataNodes().get(out);
                        if (d != null && d.map()) {
                            why = "its output '" + out + "' is a mapped list, whose items are expanded when it is written";
                            break;
                        }
                        if (d != null && d.optional()) {
                            why = "its output '" + out + "' is optional, and a memoised result cannot say it was not produced";
                            break;
                        }
                    }
                }
                if (why != null) {
                    problems.add(new Problem("processNodes." + node.name() + ".cache", "cannot be memoised: " + why));
                }
            }
            if (mapped != null) {
                for (String out : node.output()) {
                    DataNode d = out == null ? null : pipeline.dataNodes().get(out);
                    if (d != null && d.optional()) {
                        problems.add(new Problem("dataNodes." + out + ".optional", "'" + out + "' is written once per item of '"
                                + mapped.list() + "' by '" + node.name() + "', and its items are collected in order: it cannot be optional"));
                    }
                }
            }
        }
    }
}
