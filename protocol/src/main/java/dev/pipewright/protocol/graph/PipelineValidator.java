package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The rules a pipeline's graph must follow, each broken rule reported with its location. */
public final class PipelineValidator {
    /** {@code ${name}} in a data node's source, resolved from the job's parameters. */
    public static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");

    private PipelineValidator() {
    }

    public static List<Problem> validate(Pipeline pipeline) {
        List<Problem> problems = new ArrayList<>();
        Map<String, String> producer = new HashMap<>();
        for (ProcessNode node : pipeline.processNodes().values()) {
            String path = "processNodes." + node.name();
            checkReferences(pipeline, node.input(), path + ".input", problems);
            checkReferences(pipeline, node.output(), path + ".output", problems);
            for (int i = 0; i < node.output().size(); i++) {
                String out = node.output().get(i);
                if (out == null) {
                    continue;
                }
                String other = producer.putIfAbsent(out, node.name());
                if (other != null && !other.equals(node.name())) {
                    problems.add(new Problem(path + ".output[" + i + "]",
                            "data node '" + out + "' is already written by process node '" + other + "'; each data node has one producer"));
                }
                if (node.input().contains(out)) {
                    problems.add(new Problem(path + ".output[" + i + "]",
                            "data node '" + out + "' is both an input and an output of '" + node.name() + "'"));
                }
            }
        }
        for (DataNode d : pipeline.dataNodes().values()) {
            if (d.source() == null) {
                continue;
            }
            Matcher m = PLACEHOLDER.matcher(d.source());
            while (m.find()) {
                if (!pipeline.parameters().containsKey(m.group(1))) {
                    problems.add(new Problem("dataNodes." + d.name() + ".source",
                            "placeholder ${" + m.group(1) + "} names no declared parameter"));
                }
            }
        }
        if (!problems.isEmpty()) {
            return problems;
        }
        List<List<String>> cycles = new PipelineGraph(pipeline).cycles();
        for (List<String> cycle : cycles) {
            problems.add(new Problem("processNodes." + cycle.get(0), "cycle: " + String.join(" -> ", cycle)));
        }
        return problems;
    }

    private static void checkReferences(Pipeline pipeline, List<String> names, String path, List<Problem> problems) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (name == null) {
                continue;
            }
            if (!pipeline.dataNodes().containsKey(name)) {
                problems.add(new Problem(path + "[" + i + "]", "unknown data node '" + name + "'"));
            } else if (!seen.add(name)) {
                problems.add(new Problem(path + "[" + i + "]", "data node '" + name + "' is listed twice"));
            }
        }
    }
}
