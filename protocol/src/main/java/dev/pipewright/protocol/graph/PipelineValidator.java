package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Parameter;
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
            // as text now (a NUL byte, an absolute path, '..'); its placeholders' values are checked at submit
            String sourceProblem = DataPaths.problem(d.source());
            if (sourceProblem != null) {
                problems.add(new Problem("dataNodes." + d.name() + ".source", sourceProblem));
            }
            Matcher m = PLACEHOLDER.matcher(d.source());
            while (m.find()) {
                if (!pipeline.parameters().containsKey(m.group(1))) {
                    problems.add(new Problem("dataNodes." + d.name() + ".source",
                            "placeholder ${" + m.group(1) + "} names no declared parameter"));
                }
            }
        }
        FlowRules.check(pipeline, problems);
        TypedRules.check(pipeline, problems);
        // a cycle is reported whatever else is wrong (the graph takes each data node's first
        // producer and ignores unknown names), so fixing the other problems never uncovers it later;
        // a node reading its own output is reported above, not again as a cycle of one
        List<List<String>> cycles = new PipelineGraph(pipeline).cycles();
        for (List<String> cycle : cycles) {
            if (cycle.size() == 2 && cycle.get(0).equals(cycle.get(1))) {
                continue;
            }
            problems.add(new Problem("processNodes." + cycle.get(0), "cycle: " + String.join(" -> ", cycle)));
        }
        // dynamic fan-out: collect, map of a map, two lists, per-item outputs with a source
        MapPlan maps = new MapPlan(pipeline);
        problems.addAll(maps.problems());
        CombinationRules.check(pipeline, maps, problems);
        return problems;
    }

    /**
     * The rules a new document must also follow (a stored version is read back without them). A
     * scheduled job is submitted by nobody: it gets the parameters' defaults and no inputs. So
     * every parameter it needs has a default, and every job input (a data node no process node
     * writes) has a {@code source} to read it from; else its jobs could never start.
     */
    public static List<Problem> admission(Pipeline pipeline) {
        List<Problem> problems = new ArrayList<>();
        if (pipeline.schedule() != null) {
            Map<String, String> producer = new HashMap<>();
            for (ProcessNode node : pipeline.processNodes().values()) {
                node.output().forEach(out -> {
                    if (out != null) {
                        producer.putIfAbsent(out, node.name());
                    }
                });
            }
            scheduledJobsCanStart(pipeline, producer, problems);
            TypedRules.scheduledConfigsResolve(pipeline, problems);
        }
        return problems;
    }

    private static void scheduledJobsCanStart(Pipeline pipeline, Map<String, String> producer, List<Problem> problems) {
        for (Parameter p : pipeline.parameters().values()) {
            if (p.required() && p.defaultValue() == null) {
                problems.add(new Problem("parameters." + p.name(), "required parameter without a default: a scheduled job takes "
                        + "the defaults, so give it a default (or remove the schedule)"));
            }
        }
        Set<String> reported = new HashSet<>();
        for (ProcessNode node : pipeline.processNodes().values()) {
            for (String in : node.input()) {
                DataNode d = in == null ? null : pipeline.dataNodes().get(in);
                if (d != null && d.source() == null && !producer.containsKey(in) && reported.add(in)) {
                    problems.add(new Problem("dataNodes." + in, "job input without a source: no process node writes it and a "
                            + "scheduled job is given no inputs, so give it a source (or remove the schedule)"));
                }
            }
        }
        for (DataNode d : pipeline.dataNodes().values()) {
            if (d.source() == null) {
                continue;
            }
            Matcher m = PLACEHOLDER.matcher(d.source());
            while (m.find()) {
                Parameter p = pipeline.parameters().get(m.group(1));
                if (p != null && !p.required() && p.defaultValue() == null) {
                    problems.add(new Problem("dataNodes." + d.name() + ".source", "placeholder ${" + m.group(1)
                            + "} names a parameter without a default: a scheduled job could not resolve it"));
                }
            }
        }
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
