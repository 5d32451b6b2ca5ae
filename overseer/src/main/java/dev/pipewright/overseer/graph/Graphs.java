package dev.pipewright.overseer.graph;

import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.protocol.state.TaskState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The graphs the API draws: a pipeline (optionally marked with a plan) and a job coloured by its task states. */
public final class Graphs {
    private final PipelineStore pipelines;
    private final JobReader jobs;

    public Graphs(PipelineStore pipelines, JobReader jobs) {
        this.pipelines = pipelines;
        this.jobs = jobs;
    }

    /** The pipeline's graph; marked with the plan for {@code outputs} and {@code available} when either is given. */
    public static GraphView pipeline(StoredPipeline p, List<String> outputs, List<String> available) {
        String title = p.id() + " v" + p.version();
        if (outputs.isEmpty() && available.isEmpty()) {
            return GraphView.of(title, p.graph());
        }
        return GraphView.of(title, p.graph(), PlanView.of(p.graph(), outputs, available).toPlan(), Map.of());
    }

    /** The job's pipeline version, its pruned nodes greyed and its tasks coloured by state; null when there is no such job. */
    public GraphView job(JobId id) throws Exception {
        Map<String, Object> view = jobs.get(id, true);
        if (view == null) {
            return null;
        }
        String pipelineId = String.valueOf(view.get("pipeline_id"));
        int version = ((Number) view.get("pipeline_version")).intValue();
        StoredPipeline p = pipelines.find(pipelineId, version);
        if (p == null) {
            throw new IllegalStateException("job " + id + " names pipeline " + pipelineId + " v" + version + ", which is not stored");
        }
        Map<String, TaskState> states = new LinkedHashMap<>();
        List<String> run = new ArrayList<>();
        for (Object o : (List<?>) view.get("tasks")) {
            Map<?, ?> task = (Map<?, ?>) o;
            String node = String.valueOf(task.get("node"));
            run.add(node);
            TaskState state = state(task.get("status"));
            if (state != null) {
                states.put(node, state);
            }
        }
        Set<String> running = Set.copyOf(run);
        List<String> pruned = p.graph().topologicalOrder().stream().filter(n -> !running.contains(n)).toList();
        ExecutionPlan plan = new ExecutionPlan(run, pruned, List.of(), Map.of());
        return GraphView.of("job " + id.value() + " · " + p.id() + " v" + p.version() + " · " + view.get("status"), p.graph(), plan, states);
    }

    private static TaskState state(Object status) {
        if (status == null) {
            return null;
        }
        try {
            return TaskState.valueOf(status.toString());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
