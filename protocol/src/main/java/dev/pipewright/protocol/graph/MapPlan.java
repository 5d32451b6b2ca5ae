package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic fan-out of a pipeline: which process nodes run once per item of a mapped list.
 *
 * <p>A data node declared {@code map: true} holds a JSON array written by its producer. A process
 * node that reads it, or reads a per-item output, without naming it in {@code collect} runs once
 * per item (it is <em>per item</em>); its outputs are per item too. A node that names such a data
 * node in {@code collect} runs once and reads the items' values in order as one JSON array.
 * Every per-item node belongs to exactly one list (no zip of two lists), and produces no list of
 * its own (no map of a map). Pure; built once per pipeline.
 */
public final class MapPlan {
    /** One per-item node: the list it runs over and which of its inputs are read per item. */
    public record Mapped(String list, List<String> itemInputs) {
    }

    private final Map<String, Mapped> mapped = new LinkedHashMap<>();
    /** Data node → the list whose items it holds one value per item of (the list itself included). */
    private final Map<String, String> perItemData = new LinkedHashMap<>();
    private final List<Problem> problems = new ArrayList<>();

    public MapPlan(Pipeline pipeline) {
        PipelineGraph graph = new PipelineGraph(pipeline);
        for (DataNode d : pipeline.dataNodes().values()) {
            if (d.map()) {
                perItemData.put(d.name(), d.name());
            }
        }
        List<String> order = graph.cycles().isEmpty() ? graph.topologicalOrder() : List.copyOf(pipeline.processNodes().keySet());
        for (String name : order) {
            ProcessNode node = pipeline.processNodes().get(name);
            String path = "processNodes." + name;
            Set<String> lists = new LinkedHashSet<>();
            List<String> itemInputs = new ArrayList<>();
            for (String in : node.input()) {
                String list = in == null ? null : perItemData.get(in);
                if (list != null && !node.collect().contains(in)) {
                    lists.add(list);
                    itemInputs.add(in);
                }
            }
            for (int i = 0; i < node.collect().size(); i++) {
                String c = node.collect().get(i);
                if (!perItemData.containsKey(c)) {
                    problems.add(new Problem(path + ".collect[" + i + "]", "'" + c + "' is not a mapped data node: declare "
                            + "'map: true' on it, or collect an output of a node that runs once per item"));
                } else if (!node.input().contains(c)) {
                    problems.add(new Problem(path + ".collect[" + i + "]", "'" + c + "' is not an input of '" + name
                            + "': a node collects only the mapped data nodes it reads"));
                }
            }
            if (lists.size() > 1) {
                problems.add(new Problem(path + ".input", "reads items of two mapped lists (" + String.join(", ", lists)
                        + ") without collecting either: pairing the items of two lists is not supported; collect one of them"));
                continue;
            }
            if (lists.isEmpty()) {
                continue;
            }
            String list = lists.iterator().next();
            mapped.put(name, new Mapped(list, List.copyOf(itemInputs)));
            for (int i = 0; i < node.output().size(); i++) {
                String out = node.output().get(i);
                DataNode d = out == null ? null : pipeline.dataNodes().get(out);
                if (d == null) {
                    continue;
                }
                if (d.map()) {
                    problems.add(new Problem(path + ".output[" + i + "]", "'" + out + "' is mapped, but '" + name
                            + "' already runs once per item of '" + list + "': a map of a map is not supported; collect first"));
                } else if (d.source() != null) {
                    problems.add(new Problem("dataNodes." + out + ".source", "'" + out + "' holds one value per item of '" + list
                            + "' (written by '" + name + "'): a per-item output cannot be copied to one data-store path; "
                            + "collect it in a node whose output has the source"));
                }
                perItemData.put(out, list);
            }
        }
        for (DataNode d : pipeline.dataNodes().values()) {
            if (d.map() && !graph.isProduced(d.name())) {
                problems.add(new Problem("dataNodes." + d.name() + ".map", "a mapped data node must be the output of a process "
                        + "node (its JSON array is split when that node has written it); '" + d.name() + "' is a job input"));
            }
        }
    }

    /** Whether the pipeline maps at all (nothing to do for one that does not). */
    public boolean isEmpty() {
        return mapped.isEmpty();
    }

    /** The per-item node's list and per-item inputs, or null for a node that runs once. */
    public Mapped mapped(String processNode) {
        return mapped.get(processNode);
    }

    /** The misuses found, with their locations. */
    public List<Problem> problems() {
        return List.copyOf(problems);
    }
}
