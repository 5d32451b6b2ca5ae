package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.branch.BranchRule;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The rules of a pipeline's control flow besides data: {@code after} (ordering without data) names
 * other process nodes, and a {@code branch} node has one input, a readable rule and only optional
 * outputs. A cycle through {@code after} edges is reported with the data cycles (the graph has both).
 */
final class FlowRules {
    private FlowRules() {
    }

    static void check(Pipeline pipeline, List<Problem> problems) {
        for (ProcessNode node : pipeline.processNodes().values()) {
            checkAfter(pipeline, node, problems);
            if (BranchRule.PROCESSOR.equals(node.processor())) {
                checkBranch(pipeline, node, problems);
            }
        }
    }

    private static void checkAfter(Pipeline pipeline, ProcessNode node, List<Problem> problems) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < node.after().size(); i++) {
            String name = node.after().get(i);
            String at = "processNodes." + node.name() + ".after[" + i + "]";
            if (name == null) {
                continue;
            }
            if (name.equals(node.name())) {
                problems.add(new Problem(at, "'" + name + "' cannot run after itself"));
            } else if (!pipeline.processNodes().containsKey(name)) {
                problems.add(new Problem(at, "unknown process node '" + name + "'"));
            } else if (!seen.add(name)) {
                problems.add(new Problem(at, "process node '" + name + "' is listed twice"));
            }
        }
    }

    private static void checkBranch(Pipeline pipeline, ProcessNode node, List<Problem> problems) {
        String path = "processNodes." + node.name();
        List<String> inputs = node.input().stream().filter(Objects::nonNull).toList();
        if (inputs.size() != 1) {
            problems.add(new Problem(path + ".input", "the branch processor routes exactly one input, got " + inputs.size()));
        }
        List<String> outputs = node.output().stream().filter(Objects::nonNull).toList();
        if (outputs.size() < 2) {
            problems.add(new Problem(path + ".output", "the branch processor chooses between outputs: declare at least two, got "
                    + outputs.size()));
        }
        for (int i = 0; i < node.output().size(); i++) {
            String out = node.output().get(i);
            DataNode d = out == null ? null : pipeline.dataNodes().get(out);
            if (d != null && !d.optional()) {
                problems.add(new Problem(path + ".output[" + i + "]", "data node '" + out
                        + "' is an output of a branch, which leaves all but one unproduced: declare it optional: true"));
            }
        }
        try {
            BranchRule.parse(node.config(), path + ".config", outputs, pipeline.parameters().keySet());
        } catch (BranchRule.Invalid e) {
            problems.addAll(e.problems());
        }
    }
}
