package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An execution plan as users read it (the API's {@code /plan} answer and {@code pipewright plan}):
 * every process node in execution order with what happens to it ({@link #RUN} or {@link #PRUNED},
 * i.e. it leads to no wanted output) and the job inputs it would lack. {@code available} is the set
 * of job inputs taken to have a value: the ones asked about plus those read from a {@code source}.
 * The summary lists {@code run}, {@code pruned}, {@code jobInputs} and {@code missing} are those of
 * {@link ExecutionPlan}. {@code notes} say why the plan is not what one may expect: a wanted output
 * that is a job input (no process node writes it) runs nothing, so asking only for such outputs
 * prunes every node.
 */
public record PlanView(List<String> outputs, List<String> available, boolean runnable, List<Step> nodes,
                       List<String> run, List<String> pruned, List<String> jobInputs, Map<String, List<String>> missing,
                       List<String> notes) {
    public static final String RUN = "run";
    public static final String PRUNED = "pruned";

    /** One process node of the plan; {@code missing} lists its job inputs that will have no value. */
    public record Step(String node, String status, String processor, String pool, List<String> inputs,
                       List<String> outputs, List<String> missing) {
    }

    /**
     * Problems with a plan request: wanted outputs and available inputs must name data nodes, and
     * only job inputs (data nodes no process node writes) can be given as available.
     */
    public static List<Problem> check(PipelineGraph graph, Collection<String> outputs, Collection<String> available) {
        List<Problem> problems = new ArrayList<>();
        int i = 0;
        for (String out : outputs) {
            if (!graph.pipeline().dataNodes().containsKey(out)) {
                problems.add(new Problem("outputs[" + i + "]", "unknown data node '" + out + "'"));
            }
            i++;
        }
        i = 0;
        for (String in : available) {
            if (!graph.pipeline().dataNodes().containsKey(in)) {
                problems.add(new Problem("available[" + i + "]", "unknown data node '" + in + "'"));
            } else if (graph.isProduced(in)) {
                problems.add(new Problem("available[" + i + "]", "data node '" + in + "' is written by process node '"
                        + graph.producerOf(in) + "'; only job inputs can be given"));
            }
            i++;
        }
        return problems;
    }

    /** The plan for {@code outputs} (every output when empty) given the job inputs in {@code available}. */
    public static PlanView of(PipelineGraph graph, Collection<String> outputs, Collection<String> available) {
        Set<String> have = new LinkedHashSet<>(available);
        have.addAll(graph.inputsWithSource());
        ExecutionPlan plan = graph.plan(Set.copyOf(outputs), have);
        Set<String> running = Set.copyOf(plan.run());
        List<Step> steps = new ArrayList<>();
        for (String name : graph.topologicalOrder()) {
            ProcessNode p = graph.pipeline().processNodes().get(name);
            boolean runs = running.contains(name);
            steps.add(new Step(name, runs ? RUN : PRUNED, p.processor(), p.pool(), nonNull(p.input()),
                    nonNull(p.output()), runs ? plan.missing().getOrDefault(name, List.of()) : List.of()));
        }
        List<String> notes = new ArrayList<>();
        for (String out : new LinkedHashSet<>(outputs)) {
            if (graph.pipeline().dataNodes().containsKey(out) && !graph.isProduced(out)) {
                notes.add("output '" + out + "' is a job input: no process node writes it, so nothing runs for it "
                        + "(its value is the one the job is given or reads from its source)");
            }
        }
        if (plan.run().isEmpty() && !outputs.isEmpty()) {
            notes.add("nothing runs: no process node writes any of the wanted outputs, so every node is pruned");
        }
        return new PlanView(List.copyOf(new LinkedHashSet<>(outputs)), List.copyOf(have), plan.runnable(), List.copyOf(steps),
                plan.run(), plan.pruned(), plan.jobInputs(), plan.missing(), List.copyOf(notes));
    }

    /** The summary as an {@link ExecutionPlan}, e.g. to mark a drawing. */
    public ExecutionPlan toPlan() {
        return new ExecutionPlan(run, pruned, jobInputs, missing);
    }

    private static List<String> nonNull(List<String> names) {
        return names.stream().filter(java.util.Objects::nonNull).toList();
    }
}
