package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dependency graph between process nodes of a pipeline: a node depends on the producers of
 * its inputs and on the process nodes it names in {@code after} (an ordering edge: it runs once
 * they succeed, and is skipped when one does not, but receives nothing from them). Built once per
 * pipeline; all queries are pure.
 */
public final class PipelineGraph {
    private final Pipeline pipeline;
    private final Map<String, String> producerOf = new HashMap<>();
    private final Map<String, Set<String>> parents = new LinkedHashMap<>();
    private final Map<String, Set<String>> children = new LinkedHashMap<>();
    /** Per process node, the parents it has only through {@code after} (no data edge). */
    private final Map<String, Set<String>> orderingParents = new LinkedHashMap<>();

    public PipelineGraph(Pipeline pipeline) {
        this.pipeline = pipeline;
        for (ProcessNode node : pipeline.processNodes().values()) {
            for (String out : node.output()) {
                if (out != null) {
                    producerOf.putIfAbsent(out, node.name());
                }
            }
            parents.put(node.name(), new LinkedHashSet<>());
            children.put(node.name(), new LinkedHashSet<>());
        }
        for (ProcessNode node : pipeline.processNodes().values()) {
            for (String in : node.input()) {
                String producer = in == null ? null : producerOf.get(in);
                if (producer != null) {
                    parents.get(node.name()).add(producer);
                    children.get(producer).add(node.name());
                }
            }
        }
        for (ProcessNode node : pipeline.processNodes().values()) {
            for (String before : node.after()) {
                // unknown names and a node naming itself are the validator's to report
                if (before != null && parents.containsKey(before) && !before.equals(node.name())
                        && parents.get(node.name()).add(before)) {
                    children.get(before).add(node.name());
                    orderingParents.computeIfAbsent(node.name(), k -> new LinkedHashSet<>()).add(before);
                }
            }
        }
    }

    /** The parents of a process node that it has only through {@code after}, not through data. */
    public Set<String> orderingParentsOf(String processNode) {
        return Collections.unmodifiableSet(orderingParents.getOrDefault(processNode, Set.of()));
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    /** The process node that writes this data node, or null for a job input. */
    public String producerOf(String dataNode) {
        return producerOf.get(dataNode);
    }

    public boolean isProduced(String dataNode) {
        return producerOf.containsKey(dataNode);
    }

    /** Job inputs that read their value from a {@code source} when the request gives none. */
    public Set<String> inputsWithSource() {
        Set<String> out = new LinkedHashSet<>();
        pipeline.dataNodes().values().forEach(d -> {
            if (d.source() != null && !isProduced(d.name())) {
                out.add(d.name());
            }
        });
        return out;
    }

    public Set<String> parentsOf(String processNode) {
        return Collections.unmodifiableSet(parents.getOrDefault(processNode, Set.of()));
    }

    public Set<String> childrenOf(String processNode) {
        return Collections.unmodifiableSet(children.getOrDefault(processNode, Set.of()));
    }

    /** Every cycle's process nodes in order, the first repeated at the end; empty when acyclic. */
    public List<List<String>> cycles() {
        List<List<String>> cycles = new ArrayList<>();
        Map<String, Integer> color = new HashMap<>();
        Set<String> reported = new HashSet<>();
        for (String start : parents.keySet()) {
            if (color.getOrDefault(start, 0) != 0) {
                continue;
            }
            // iterative DFS keeping the current path so a back edge names its cycle
            Deque<String> path = new ArrayDeque<>();
            Deque<java.util.Iterator<String>> iters = new ArrayDeque<>();
            path.push(start);
            iters.push(children.get(start).iterator());
            color.put(start, 1);
            while (!path.isEmpty()) {
                java.util.Iterator<String> it = iters.peek();
                if (it.hasNext()) {
                    String next = it.next();
                    int c = color.getOrDefault(next, 0);
                    if (c == 0) {
                        color.put(next, 1);
                        path.push(next);
                        iters.push(children.get(next).iterator());
                    } else if (c == 1) {
                        List<String> onPath = new ArrayList<>(path);
                        Collections.reverse(onPath);
                        List<String> cycle = new ArrayList<>(onPath.subList(onPath.indexOf(next), onPath.size()));
                        cycle.add(next);
                        if (reported.add(String.join(",", new java.util.TreeSet<>(cycle)))) {
                            cycles.add(cycle);
                        }
                    }
                } else {
                    color.put(path.pop(), 2);
                    iters.pop();
                }
            }
        }
        return cycles;
    }

    /** Process nodes in an order where every node comes after its parents (declaration order breaks ties). */
    public List<String> topologicalOrder() {
        Map<String, Integer> indegree = new LinkedHashMap<>();
        parents.forEach((node, ps) -> indegree.put(node, ps.size()));
        Deque<String> ready = new ArrayDeque<>();
        indegree.forEach((node, d) -> {
            if (d == 0) ready.add(node);
        });
        List<String> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String node = ready.poll();
            order.add(node);
            for (String child : children.get(node)) {
                if (indegree.merge(child, -1, Integer::sum) == 0) {
                    ready.add(child);
                }
            }
        }
        if (order.size() != parents.size()) {
            throw new IllegalStateException("the pipeline graph has a cycle");
        }
        return order;
    }

    /**
     * What a job would run to produce {@code wantedOutputs} (all produced data nodes when empty),
     * given the job inputs that will have a value ({@code availableInputs}).
     */
    public ExecutionPlan plan(Set<String> wantedOutputs, Set<String> availableInputs) {
        Set<String> needed = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        if (wantedOutputs == null || wantedOutputs.isEmpty()) {
            todo.addAll(parents.keySet());
        } else {
            for (String out : wantedOutputs) {
                String producer = producerOf.get(out);
                if (producer != null) {
                    todo.add(producer);
                }
            }
        }
        while (!todo.isEmpty()) {
            String node = todo.poll();
            if (needed.add(node)) {
                todo.addAll(parents.get(node));
            }
        }
        List<String> run = new ArrayList<>();
        List<String> pruned = new ArrayList<>();
        for (String node : topologicalOrder()) {
            (needed.contains(node) ? run : pruned).add(node);
        }
        Set<String> inputs = new LinkedHashSet<>();
        Map<String, List<String>> missing = new LinkedHashMap<>();
        for (String node : run) {
            for (String in : pipeline.processNodes().get(node).input()) {
                if (!producerOf.containsKey(in)) {
                    inputs.add(in);
                    if (!availableInputs.contains(in)) {
                        missing.computeIfAbsent(node, k -> new ArrayList<>()).add(in);
                    }
                }
            }
        }
        return new ExecutionPlan(run, pruned, List.copyOf(inputs), missing);
    }
}
