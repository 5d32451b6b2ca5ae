package dev.pipewright.protocol.render;

import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.state.TaskState;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A pipeline graph ready to draw, whatever the format: data nodes and process nodes, edges from
 * each input data node to its process node and from the process node to each output, ordering edges
 * from a process node to one that runs {@code after} it, and per node
 * what a plan says of it ({@link Mark}) and, for a job, its task's state. Renderers only read it.
 *
 * @param title shown as the drawing's caption (pipeline id, or job and pipeline)
 */
public record GraphView(String title, List<Node> nodes, List<Edge> edges) {
    public GraphView {
        nodes = List.copyOf(nodes);
        edges = List.copyOf(edges);
    }

    public enum Kind { DATA, PROCESS }

    /** What an execution plan says about a node. */
    public enum Mark {
        NONE,
        /** Leads to no wanted output: will not run (process) or is not touched (data). */
        PRUNED,
        /** A job input that a node which will run needs and nobody gives. */
        MISSING
    }

    /**
     * One node. {@code id} is unique across both kinds ({@code d:name}, {@code p:name}: a data node and a
     * process node may share a name); {@code detail} is the processor of a process node or the source of
     * a data node (null when none); {@code status} is the task state in a job (null outside one).
     */
    public record Node(String id, Kind kind, String name, String detail, TaskState status, Mark mark) {
        public Node {
            Objects.requireNonNull(id);
            Objects.requireNonNull(kind);
            Objects.requireNonNull(name);
            mark = mark == null ? Mark.NONE : mark;
        }

        /** The text lines of the node's label: name, detail, then its status or mark. */
        public List<String> lines() {
            List<String> lines = new ArrayList<>();
            lines.add(name);
            if (detail != null && !detail.isBlank()) {
                lines.add(detail);
            }
            if (status != null) {
                lines.add(status.name());
            } else if (mark == Mark.MISSING) {
                lines.add("missing");
            } else if (mark == Mark.PRUNED && kind == Kind.PROCESS) {
                lines.add("pruned");
            }
            return lines;
        }
    }

    /**
     * An edge; {@code faded} when either end is pruned; {@code ordering} for an {@code after} edge from
     * one process node to another (order only, no data: drawn dotted).
     */
    public record Edge(String from, String to, boolean faded, boolean ordering) {
        public Edge(String from, String to, boolean faded) {
            this(from, to, faded, false);
        }
    }

    public static String dataId(String name) {
        return "d:" + name;
    }

    public static String processId(String name) {
        return "p:" + name;
    }

    /** The plain graph: no plan marks, no states. */
    public static GraphView of(String title, PipelineGraph graph) {
        return of(title, graph, null, Map.of());
    }

    /**
     * The graph marked with {@code plan} (null: none) and coloured with task {@code states} by process
     * node name (empty: none).
     */
    public static GraphView of(String title, PipelineGraph graph, ExecutionPlan plan, Map<String, TaskState> states) {
        Set<String> prunedProcess = plan == null ? Set.of() : Set.copyOf(plan.pruned());
        Set<String> touched = new HashSet<>();
        Set<String> missing = new HashSet<>();
        if (plan != null) {
            for (String run : plan.run()) {
                ProcessNode p = graph.pipeline().processNodes().get(run);
                touched.addAll(nonNull(p.input()));
                touched.addAll(nonNull(p.output()));
            }
            plan.missing().values().forEach(missing::addAll);
        }
        List<Node> nodes = new ArrayList<>();
        for (DataNode d : graph.pipeline().dataNodes().values()) {
            Mark mark = missing.contains(d.name()) ? Mark.MISSING
                    : plan != null && !touched.contains(d.name()) ? Mark.PRUNED : Mark.NONE;
            nodes.add(new Node(dataId(d.name()), Kind.DATA, d.name(), d.source(), null, mark));
        }
        List<Edge> edges = new ArrayList<>();
        for (ProcessNode p : graph.pipeline().processNodes().values()) {
            boolean pruned = prunedProcess.contains(p.name());
            nodes.add(new Node(processId(p.name()), Kind.PROCESS, p.name(), p.processor(), states.get(p.name()),
                    pruned ? Mark.PRUNED : Mark.NONE));
            for (String in : nonNull(p.input())) {
                edges.add(new Edge(dataId(in), processId(p.name()), pruned));
            }
            for (String out : nonNull(p.output())) {
                edges.add(new Edge(processId(p.name()), dataId(out), pruned));
            }
        }
        for (ProcessNode p : graph.pipeline().processNodes().values()) {
            for (String before : graph.orderingParentsOf(p.name())) {
                edges.add(new Edge(processId(before), processId(p.name()),
                        prunedProcess.contains(p.name()) || prunedProcess.contains(before), true));
            }
        }
        return new GraphView(title, nodes, edges);
    }

    private static List<String> nonNull(List<String> names) {
        return names.stream().filter(Objects::nonNull).toList();
    }
}
